package dev.turnout.relay.splice;

import com.sun.jna.Native;
import dev.turnout.netbase.LibC;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.LoggerFactory;

/**
 * Relays plain TCP byte streams with splice(2), on a few threads of its own: for a connection whose
 * two sides are ordinary sockets with nothing to transform (DIRECT, and SOCKS5 or HTTP CONNECT
 * after their handshake), the relay needs no copy through user space. Each adopted connection works
 * on duplicates of the two descriptors, so whatever the sockets' owner does with its own never
 * makes the relay touch a reused descriptor number.
 */
public final class SpliceRelay implements Closeable {
  private final SpliceLoop[] loops;
  private final AtomicInteger next = new AtomicInteger();
  private final LongAdder refused = new LongAdder();

  private SpliceRelay(SpliceLoop[] loops) {
    this.loops = loops;
  }

  /**
   * Starts {@code threads} loops; null, with a warning, where splice is not available (not 64-bit
   * Linux, or the calls fail).
   */
  public static SpliceRelay startOrNull(int threads, Duration idleTimeout) {
    SpliceLoop[] loops = new SpliceLoop[threads];
    try {
      if (!SpliceCalls.supported()) { // in the try: binding the calls may fail to link
        return null;
      }
      for (int i = 0; i < threads; i++) {
        loops[i] = new SpliceLoop("turnout-splice-" + i, idleTimeout.toNanos());
      }
      return new SpliceRelay(loops);
    } catch (IOException | LinkageError e) {
      for (SpliceLoop loop : loops) {
        if (loop != null) {
          loop.close();
        }
      }
      LoggerFactory.getLogger(SpliceRelay.class)
          .warn("splice relay unavailable, relaying through user space: {}", e.toString());
      return null;
    }
  }

  /**
   * Duplicates of a connection's two sockets, which the relay works on: made while the caller still
   * owns the sockets (so each number is surely the socket meant), handed to {@link #adopt}, or
   * closed by the caller if the hand-over does not happen. Not thread-safe.
   */
  public static final class Sockets {
    final int client;
    final int upstream;

    private Sockets(int client, int upstream) {
      this.client = client;
      this.upstream = upstream;
    }

    /** Lets go of both duplicates, for a hand-over that did not happen. */
    public void close() {
      LibC.close(client);
      LibC.close(upstream);
    }
  }

  /**
   * Duplicates two connected sockets for {@link #adopt}.
   *
   * @throws IOException if they cannot be duplicated (out of descriptors): counted in {@link
   *     #refused}, and nothing is left open
   */
  public Sockets duplicate(int clientFd, int upstreamFd) throws IOException {
    try {
      int client = duplicate(clientFd);
      int upstream;
      try {
        upstream = duplicate(upstreamFd);
      } catch (IOException e) {
        LibC.close(client);
        throw e;
      }
      return new Sockets(client, upstream); // not before: out of descriptors, no class loads
    } catch (IOException e) {
      refused.increment();
      throw e;
    }
  }

  /**
   * Takes over relaying between two connected, non-blocking sockets, through their duplicates. The
   * caller must have stopped all I/O on them (deregistered from its event loop) and keeps them open
   * until {@link SpliceListener#closed} is called.
   *
   * @param upHead bytes already read from the client, to send upstream first (may be null)
   * @param clientEnded the client's end of input was already seen
   * @param downHead bytes already read from upstream, to send to the client first (may be null)
   * @param upstreamEnded upstream's end of input was already seen
   * @return ends the relaying early, from any thread (the listener then hears {@code closed})
   */
  public Runnable adopt(
      Sockets sockets,
      ByteBuffer upHead,
      boolean clientEnded,
      ByteBuffer downHead,
      boolean upstreamEnded,
      SpliceListener listener) {
    int client = sockets.client;
    int upstream = sockets.upstream;
    Direction up = new Direction(client, upstream, true, upHead, clientEnded, listener);
    Direction down = new Direction(upstream, client, false, downHead, upstreamEnded, listener);
    SpliceLoop loop = loops[Math.floorMod(next.getAndIncrement(), loops.length)];
    SplicedPair pair = new SplicedPair(client, upstream, up, down, listener);
    loop.add(pair);
    return () -> loop.abort(pair);
  }

  /**
   * {@link #duplicate} then {@link #adopt}.
   *
   * @throws IOException if the descriptors cannot be duplicated; nothing was taken over
   */
  public Runnable adopt(
      int clientFd,
      int upstreamFd,
      ByteBuffer upHead,
      boolean clientEnded,
      ByteBuffer downHead,
      boolean upstreamEnded,
      SpliceListener listener)
      throws IOException {
    return adopt(
        duplicate(clientFd, upstreamFd), upHead, clientEnded, downHead, upstreamEnded, listener);
  }

  private static int duplicate(int fd) throws IOException {
    int copy = LibC.fcntl(fd, LibC.F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
      throw new IOException("dup: " + LibC.strerror(Native.getLastError()));
    }
    return copy;
  }

  /**
   * How many times a direction found no pipe (out of file descriptors) and copied through user
   * space instead; any thread.
   */
  public long copiedWithoutPipe() {
    long sum = 0;
    for (SpliceLoop loop : loops) {
      sum += loop.withoutPipe();
    }
    return sum;
  }

  /** Connections not taken over because their descriptors could not be duplicated; any thread. */
  public long refused() {
    return refused.sum();
  }

  /** Ends every spliced connection and stops the threads. */
  @Override
  public void close() {
    for (SpliceLoop loop : loops) {
      loop.close();
    }
  }
}
