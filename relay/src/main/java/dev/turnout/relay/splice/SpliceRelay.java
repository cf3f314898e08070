package dev.turnout.relay.splice;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import io.netty.channel.IoEventLoop;
import io.netty.channel.unix.FileDescriptor;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.Future;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;

/**
 * Relays plain TCP byte streams with splice(2) on the event loop that accepted and dialed them: for
 * a connection whose two sides are ordinary sockets with nothing to transform (DIRECT, and SOCKS5
 * or HTTP CONNECT after their handshake), the bytes never enter user space. The caller deregisters
 * its two channels from their Netty epoll loop and hands over their sockets; the relay registers
 * them again on the same loop as {@link EpollIoHandle}s of its own, so a connection costs no second
 * thread, no wake-up of another thread and no duplicate descriptors. Everything about a pair
 * happens on its loop; only {@link #adopt}'s abort and {@link #close} may come from others.
 */
public final class SpliceRelay implements Closeable {
  private final long idleNanos;
  private final Map<EventExecutor, LoopSplices> loops = new ConcurrentHashMap<>();
  private volatile boolean closed;

  private SpliceRelay(Duration idleTimeout) {
    this.idleNanos = idleTimeout.toNanos();
  }

  /** A relay; null, with a warning, where splice(2) cannot be called here (not 64-bit Linux). */
  public static SpliceRelay createOrNull(Duration idleTimeout) {
    try {
      if (Platform.isLinux() && Native.POINTER_SIZE == 8) { // in the try: binding may fail to link
        return new SpliceRelay(idleTimeout);
      }
      LoggerFactory.getLogger(SpliceRelay.class)
          .warn("splice relay unavailable here, relaying through user space");
    } catch (LinkageError e) {
      LoggerFactory.getLogger(SpliceRelay.class)
          .warn("splice relay unavailable, relaying through user space: {}", e.toString());
    }
    return null;
  }

  /**
   * Takes over relaying between two connected, non-blocking sockets; called on {@code loop}, an
   * epoll event loop from which the sockets' channels have just been deregistered. The channels
   * stay open, and the sockets untouched by their owner, until {@link SpliceListener#closed} is
   * called (on {@code loop}); then the owner closes them.
   *
   * @param upHead bytes already read from the client, to send upstream first (may be null)
   * @param clientEnded the client's end of input was already seen
   * @param downHead bytes already read from upstream, to send to the client first (may be null)
   * @param upstreamEnded upstream's end of input was already seen
   * @return ends the relaying early, from any thread (the listener then hears {@code closed})
   */
  public Runnable adopt(
      IoEventLoop loop,
      FileDescriptor client,
      FileDescriptor upstream,
      ByteBuffer upHead,
      boolean clientEnded,
      ByteBuffer downHead,
      boolean upstreamEnded,
      SpliceListener listener) {
    if (!loop.inEventLoop()) {
      throw new IllegalStateException("adopt must run on the sockets' event loop");
    }
    LoopSplices splices = loops.computeIfAbsent(loop, l -> new LoopSplices(loop, idleNanos));
    int clientFd = client.intValue();
    int upstreamFd = upstream.intValue();
    SplicedPair pair =
        new SplicedPair(
            splices,
            client,
            upstream,
            new Direction(clientFd, upstreamFd, true, upHead, clientEnded, listener),
            new Direction(upstreamFd, clientFd, false, downHead, upstreamEnded, listener),
            listener);
    if (closed) {
      pair.finish(new IOException("splice relay stopped"));
    } else {
      splices.start(pair);
    }
    return () -> {
      try {
        loop.execute(() -> pair.finish(new IOException("closed on request")));
      } catch (RejectedExecutionException e) {
        // the loop has stopped, and its shutdown ended the pair (Side.close)
      }
    };
  }

  /**
   * How many times a direction found no pipe (out of file descriptors) and copied through user
   * space instead; any thread.
   */
  public long copiedWithoutPipe() {
    long sum = 0;
    for (LoopSplices splices : loops.values()) {
      sum += splices.pipes.withoutPipe();
    }
    return sum;
  }

  /** Ends every spliced connection (each listener hears of it), waiting a little for the loops. */
  @Override
  public void close() {
    closed = true;
    List<Future<?>> ending = new ArrayList<>();
    for (LoopSplices splices : loops.values()) {
      if (splices.loop.inEventLoop()) {
        splices.close();
      } else if (!splices.loop.isShuttingDown()) {
        ending.add(splices.loop.submit(splices::close));
      }
    }
    for (Future<?> f : ending) {
      f.awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
  }
}
