package dev.turnout.relay.tcp;

import dev.turnout.netbase.LogLimiter;
import dev.turnout.outbound.HeldInbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.splice.SpliceListener;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.ReferenceCountUtil;
import java.nio.ByteBuffer;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a dialed connection from Netty's pipelines to the {@link SpliceRelay} when both sides are
 * plain sockets on one epoll event loop. Both channels are deregistered, so Netty reads nothing
 * more; what it had already read (the client's bytes while dialing, a proxy's bytes right after its
 * handshake) goes first, then the relay splices on the same loop. The channels stay open, owned by
 * Netty, until the relay is done with them: then they are closed as usual, which releases the NAT
 * session and logs the traffic.
 */
final class SpliceHandOff {
  private static final Logger log = LoggerFactory.getLogger(SpliceHandOff.class);
  // If every hand-over fails, a line each would flood the log.
  private static final LogLimiter FAILURES = new LogLimiter(1, 5);

  private SpliceHandOff() {}

  /** True if the pair can be spliced: two epoll sockets and nothing transforming the stream. */
  static boolean eligible(Channel inbound, Channel upstream) {
    return inbound instanceof EpollSocketChannel
        && upstream instanceof EpollSocketChannel
        && inbound.eventLoop() == upstream.eventLoop()
        && inbound.eventLoop() instanceof IoEventLoop
        && HeldInbound.isPlainStream(upstream);
  }

  /**
   * Starts the hand-over of the pair, on their event loop. The caller keeps catching what the
   * client sends in {@code early} and {@code clientEnded} until both channels are deregistered;
   * then those are read (and the buffers released) on the channels' event loop, and {@code caught}
   * tells the caller to stop catching.
   */
  static void start(
      SpliceRelay relay,
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
                    // a channel (a reset): then the connection is over.
                    if (!a.isSuccess()
                        || !b.isSuccess()
                        || !inbound.isOpen()
                        || !upstream.isOpen()) {
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
                    closer.closeBoth();
                    return;
                  }
                  // From here the relay owns the sockets until it tells the listener.
                  closer.spliced(
                      relay.adopt(
                          (IoEventLoop) inbound.eventLoop(),
                          ((EpollSocketChannel) inbound).fd(),
                          ((EpollSocketChannel) upstream).fd(),
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
