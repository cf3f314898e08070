package dev.turnout.outbound;

import dev.turnout.netbase.LogLimiter;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link DatagramSession} over one UDP channel whose pipeline holds a proxy's datagram codec:
 * {@link #send} writes an {@link AddressedDatagram} that the codec frames into a packet to the
 * proxy, and every {@link AddressedDatagram} the codec decodes from the proxy's packets goes to the
 * receiver. A control channel (SOCKS5's TCP connection, say) may live and die with the session.
 * Thread-safe, as {@link DatagramSession} requires.
 */
public final class ChannelDatagramSession implements DatagramSession {
  private static final Logger LOG = LoggerFactory.getLogger(ChannelDatagramSession.class);
  private static final LogLimiter FAILED = new LogLimiter(1, 5);

  private final Channel udp;
  private final Channel control;
  private final Promise<Void> closed;

  private ChannelDatagramSession(Channel udp, Channel control) {
    this.udp = udp;
    this.control = control;
    this.closed = udp.eventLoop().newPromise();
    udp.closeFuture().addListener(f -> close());
    if (control != null) {
      control.closeFuture().addListener(f -> close());
    }
  }

  /**
   * Adds {@code codec} and the delivery to {@code receiver} to {@code udp}'s pipeline and returns
   * the session over it.
   *
   * @param codec turns {@link AddressedDatagram}s into the proxy's packets and back
   * @param control a channel to close with the session, and whose closing closes it; or null
   */
  public static ChannelDatagramSession open(
      Channel udp, ChannelHandler codec, Channel control, Receiver receiver) {
    udp.pipeline().addLast(codec, new Deliver(receiver));
    return new ChannelDatagramSession(udp, control);
  }

  @Override
  public void send(Destination destination, io.netty.buffer.ByteBuf payload) {
    // A write on a closed channel, or one the codec cannot frame (a name no request carries),
    // fails its future and releases the message: said at a limited rate, never thrown.
    udp.writeAndFlush(new AddressedDatagram(destination, payload))
        .addListener(
            f -> {
              if (!f.isSuccess() && udp.isActive() && FAILED.allow()) {
                LOG.warn(
                    "udp to {}: datagram dropped: {} ({} more not logged)",
                    destination,
                    f.cause().toString(),
                    FAILED.takeSuppressed());
              }
            });
  }

  @Override
  public void close() {
    if (control != null) {
      control.close();
    }
    udp.close();
    closed.trySuccess(null);
  }

  @Override
  public Future<?> closeFuture() {
    return closed;
  }

  /** Hands each decoded datagram, and the ownership of its payload, to the receiver. */
  private static final class Deliver extends SimpleChannelInboundHandler<AddressedDatagram> {
    private final Receiver receiver;

    Deliver(Receiver receiver) {
      super(false);
      this.receiver = receiver;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, AddressedDatagram datagram) {
      receiver.received(datagram.peer(), datagram.content());
    }
  }
}
