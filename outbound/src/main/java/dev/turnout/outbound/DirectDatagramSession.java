package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;

/** DIRECT UDP: one IPv4 socket, marked like every Turnout socket; names go through the resolver. */
final class DirectDatagramSession implements DatagramSession {
  private final Dialer dialer;
  private final Channel udp;
  private final Promise<Void> closed;

  private DirectDatagramSession(Dialer dialer, Channel udp) {
    this.dialer = dialer;
    this.udp = udp;
    this.closed = udp.eventLoop().newPromise();
    udp.closeFuture().addListener(f -> closed.trySuccess(null));
  }

  static Future<DatagramSession> open(Dialer dialer, EventLoop loop, Receiver receiver) {
    Promise<DatagramSession> promise = loop.newPromise();
    dialer
        .openDatagram(false, loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                promise.tryFailure(f.cause());
                return;
              }
              Channel udp = (Channel) f.getNow();
              udp.pipeline()
                  .addLast(
                      new SimpleChannelInboundHandler<DatagramPacket>() {
                        @Override
                        protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket p) {
                          InetSocketAddress s = p.sender();
                          receiver.received(
                              new Destination(null, s.getAddress(), s.getPort()),
                              p.content().retain());
                        }
                      });
              promise.trySuccess(new DirectDatagramSession(dialer, udp));
            });
    return promise;
  }

  @Override
  public void send(Destination destination, ByteBuf payload) {
    if (destination.address() != null) {
      sendTo(destination.address(), destination.port(), payload);
      return;
    }
    dialer
        .resolve(destination.host(), udp.eventLoop())
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                payload.release();
                return;
              }
              @SuppressWarnings("unchecked")
              List<InetAddress> addresses = (List<InetAddress>) f.getNow();
              InetAddress v4 =
                  addresses.stream()
                      .filter(a -> !(a instanceof Inet6Address))
                      .findFirst()
                      .orElse(null);
              if (v4 == null) {
                payload.release();
              } else {
                sendTo(v4, destination.port(), payload);
              }
            });
  }

  private void sendTo(InetAddress address, int port, ByteBuf payload) {
    if (address instanceof Inet6Address || !dialer.allowed(address)) {
      payload.release();
      return;
    }
    udp.writeAndFlush(new DatagramPacket(payload, new InetSocketAddress(address, port)));
  }

  @Override
  public void close() {
    udp.close();
  }

  @Override
  public Future<?> closeFuture() {
    return closed;
  }
}
