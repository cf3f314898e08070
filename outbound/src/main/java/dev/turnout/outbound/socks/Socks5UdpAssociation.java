package dev.turnout.outbound.socks;

import dev.turnout.outbound.ChannelDatagramSession;
import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.DatagramSession.Receiver;
import dev.turnout.outbound.Dialer;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetSocketAddress;

/**
 * Opens a SOCKS5 UDP ASSOCIATE session: a TCP control connection that runs the handshake and then
 * keeps the association alive, and a UDP socket that exchanges datagrams with the relay address the
 * server named, framed by {@link Socks5DatagramCodec}. Either one closing closes the session.
 */
final class Socks5UdpAssociation {
  private Socks5UdpAssociation() {}

  static Future<DatagramSession> open(
      Socks5Outbound proxy, Dialer dialer, EventLoop loop, Receiver receiver) {
    Promise<DatagramSession> promise = loop.newPromise();
    proxy
        .openTransport(loop)
        .addListener(
            d -> {
              if (!d.isSuccess()) {
                promise.tryFailure(d.cause());
                return;
              }
              Channel control = (Channel) d.getNow();
              promise.addListener(
                  p -> {
                    if (!p.isSuccess()) {
                      control.close();
                    }
                  });
              proxy
                  .associate(control)
                  .addListener(
                      a -> {
                        if (!a.isSuccess()) {
                          promise.tryFailure(a.cause());
                          return;
                        }
                        InetSocketAddress relay =
                            Socks5DatagramCodec.relay(
                                (Socks5CommandResponse) a.getNow(),
                                ((InetSocketAddress) control.remoteAddress()).getAddress());
                        openSocket(dialer, control, relay, receiver, promise);
                      });
            });
    return promise;
  }

  private static void openSocket(
      Dialer dialer,
      Channel control,
      InetSocketAddress relay,
      Receiver receiver,
      Promise<DatagramSession> promise) {
    dialer
        .openDatagram(relay.getAddress() instanceof Inet6Address, control.eventLoop())
        .addListener(
            u -> {
              if (!u.isSuccess()) {
                promise.tryFailure(u.cause());
                return;
              }
              Channel udp = (Channel) u.getNow();
              DatagramSession session =
                  ChannelDatagramSession.open(
                      udp, new Socks5DatagramCodec(relay), control, receiver);
              // The control connection carries nothing; read only to notice when it ends.
              control.pipeline().addLast(new Drain());
              control.read();
              if (!promise.trySuccess(session)) {
                session.close();
              }
            });
  }

  /** Discards anything the server sends on the control connection and keeps reading. */
  static final class Drain extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      ctx.read();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
