package dev.turnout.relay.tcp;

import dev.turnout.netbase.LogLimiter;
import dev.turnout.outbound.HeldInbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.splice.SpliceListener;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a dialed connection from Netty's event loop to the {@link SpliceRelay} when both sides are
 * plain sockets. The sockets are duplicated first, while Netty surely owns them: without
 * descriptors for that (EMFILE) the connection stays with Netty, which needs none. Then both
 * channels are deregistered, so Netty reads nothing more; what it had already read (the client's
 * bytes while dialing, a proxy's bytes right after its handshake) goes first, then the relay
 * splices. The channels stay open, owned by Netty, until the relay is done with them: then they are
 * closed as usual, which releases the NAT session and logs the traffic.
 */
final class SpliceHandOff {
  private static final Logger log = LoggerFactory.getLogger(SpliceHandOff.class);
  // Out of file descriptors, every hand-over fails at once: a line each would flood the log.
  private static final LogLimiter FAILURES = new LogLimiter(1, 5);

  private SpliceHandOff() {}

  /** True if the pair can be spliced: two epoll sockets and nothing transforming the stream. */
  static boolean eligible(Channel inbound, Channel upstream) {
    return inbound instanceof EpollSocketChannel
        && upstream instanceof EpollSocketChannel
        && inbound.eventLoop() == upstream.eventLoop()
        && HeldInbound.isPlainStream(upstream)
        // a listener whose client speaks through a codec (Shadowsocks) or TLS keeps it
        && inbound.pipeline().get(MessageToByteEncoder.class) == null
        && inbound.pipeline().get(SslHandler.class) == null;
  }

  /**
   * Duplicates the pair's sockets for the relay, on their event loop; null (logged at most once a
   * second) if that fails: then Netty keeps relaying the pair.
   */
  static SpliceRelay.Sockets duplicate(SpliceRelay relay, Channel inbound, Channel upstream) {
    try {
      return relay.duplicate(
          ((EpollSocketChannel) inbound).fd().intValue(),
          ((EpollSocketChannel) upstream).fd().intValue());
    } catch (IOException e) {
      if (FAILURES.allow()) {
        log.warn(
            "not spliced, relayed through user space: {} ({} more not logged)",
            e.toString(),
            FAILURES.takeSuppressed());
      }
      return null;
    }
  }

  /**
   * Starts the hand-over of the pair whose duplicates are {@code sockets}. The caller keeps
   * catching what the client sends in {@code early} and {@code clientEnded} until both channels are
   * deregistered; then those are read (and the buffers released) on the channels' event loop, and
   * {@code caught} tells the caller to stop catching.
   */
  static void start(
      SpliceRelay relay,
      SpliceRelay.Sockets sockets,
      Channel inbound,
      Channel upstream,
      List<Object> early,
      EarlyEnd clientEnded,
      Connection connection,
      Closer closer,
      Runnable caught) {
    ChannelFuture in = inbound.deregister();
    ChannelFuture out = upstream.deregister();
    in.addListener(
        a ->
            out.addListener(
                b -> {
                  ByteBuffer upHead = drain(early);
                  boolean ended = clientEnded.ended();
                  HeldInbound.Held held;
                  ByteBuffer downHead;
                  try {
                    caught.run();
                    // Deregistration runs after the rest of the loop's batch, which may have closed
                    // a channel (a reset): the duplicates still hold its socket, but the connection
                    // is over.
                    if (!a.isSuccess()
                        || !b.isSuccess()
                        || !inbound.isOpen()
                        || !upstream.isOpen()) {
                      sockets.close();
                      closer.closeBoth();
                      return;
                    }
                    held = HeldInbound.takeFrom(upstream);
                    downHead = drain(List.copyOf(held.bytes()));
                  } catch (RuntimeException e) {
                    if (FAILURES.allow()) {
                      log.warn(
                          "splice hand-over failed ({} more not logged)",
                          FAILURES.takeSuppressed(),
                          e);
                    }
                    sockets.close();
                    closer.closeBoth();
                    return;
                  }
                  // From here the relay owns the duplicates.
                  closer.spliced(
                      relay.adopt(
                          sockets,
                          upHead,
                          ended,
                          downHead,
                          held.inputShutdown(),
                          listener(connection, closer)));
                }));
  }

  /** Whether the client's end of input was seen while dialing. */
  interface EarlyEnd {
    boolean ended();
  }

  private static SpliceListener listener(Connection connection, Closer closer) {
    return new SpliceListener() {
      @Override
      public void transferred(boolean towardUpstream, long bytes) {
        connection.transferred(towardUpstream, bytes);
      }

      @Override
      public void closed(Exception failure) {
        closer.closeBoth();
      }
    };
  }

  /** The bytes of {@code messages} in one direct buffer (null if none); releases them. */
  private static ByteBuffer drain(List<?> messages) {
    int total = 0;
    for (Object msg : messages) {
      if (msg instanceof ByteBuf buf) {
        total += buf.readableBytes();
      }
    }
    ByteBuffer head = total == 0 ? null : ByteBuffer.allocateDirect(total);
    for (Object msg : messages) {
      if (msg instanceof ByteBuf buf && head != null) {
        head.put(buf.nioBuffer());
      }
      ReferenceCountUtil.release(msg);
    }
    if (head != null) {
      head.flip();
    }
    return head;
  }
}
