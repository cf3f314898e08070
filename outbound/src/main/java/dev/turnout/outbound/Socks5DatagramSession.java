package dev.turnout.outbound;

import dev.turnout.netbase.IpLiterals;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A SOCKS5 UDP ASSOCIATE session: a TCP control connection that keeps the association alive and a
 * UDP socket that exchanges datagrams with the server's relay address, each prefixed by the RFC
 * 1928 UDP request header (RSV, FRAG = 0, address). Fragments are not supported and are dropped.
 */
final class Socks5DatagramSession implements DatagramSession {
  private static final Logger LOG = LoggerFactory.getLogger(Socks5DatagramSession.class);

  private final Channel control;
  private final Channel udp;
  private final InetSocketAddress relay;
  private final Promise<Void> closed;

  private Socks5DatagramSession(Channel control, Channel udp, InetSocketAddress relay) {
    this.control = control;
    this.udp = udp;
    this.relay = relay;
    this.closed = udp.eventLoop().newPromise();
    control.closeFuture().addListener(f -> close());
    udp.closeFuture().addListener(f -> close());
  }

  static Future<DatagramSession> open(Socks5Outbound proxy, EventLoop loop, Receiver receiver) {
    Promise<DatagramSession> promise = loop.newPromise();
    proxy
        .dialer
        .dial(proxy.server, null, proxy.port, loop)
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
                        var reply =
                            (io.netty.handler.codec.socksx.v5.Socks5CommandResponse) a.getNow();
                        InetAddress bound = IpLiterals.parseHostOrNull(reply.bndAddr());
                        if (bound == null || bound.isAnyLocalAddress()) {
                          bound = ((InetSocketAddress) control.remoteAddress()).getAddress();
                        }
                        InetSocketAddress relay = new InetSocketAddress(bound, reply.bndPort());
                        openSocket(proxy, control, relay, receiver, promise);
                      });
            });
    return promise;
  }

  private static void openSocket(
      Socks5Outbound proxy,
      Channel control,
      InetSocketAddress relay,
      Receiver receiver,
      Promise<DatagramSession> promise) {
    proxy
        .dialer
        .openDatagram(relay.getAddress() instanceof Inet6Address, control.eventLoop())
        .addListener(
            u -> {
              if (!u.isSuccess()) {
                promise.tryFailure(u.cause());
                return;
              }
              Channel udp = (Channel) u.getNow();
              Socks5DatagramSession session = new Socks5DatagramSession(control, udp, relay);
              udp.pipeline().addLast(new Replies(relay, receiver));
              // The control connection carries nothing; read only to notice when it ends.
              control.pipeline().addLast(new Drain());
              control.read();
              if (!promise.trySuccess(session)) {
                session.close();
              }
            });
  }

  @Override
  public void send(Destination destination, ByteBuf payload) {
    ByteBuf header = udp.alloc().buffer(3 + SocksAddress.length(destination));
    header.writeZero(3);
    SocksAddress.write(destination, header);
    ByteBuf packet = udp.alloc().compositeBuffer(2).addComponents(true, header, payload);
    udp.writeAndFlush(new DatagramPacket(packet, relay));
  }

  @Override
  public void close() {
    control.close();
    udp.close();
    closed.trySuccess(null);
  }

  @Override
  public Future<?> closeFuture() {
    return closed;
  }

  /** Unwraps replies from the relay address; anything else is dropped. */
  private static final class Replies extends SimpleChannelInboundHandler<DatagramPacket> {
    private final InetSocketAddress relay;
    private final Receiver receiver;

    Replies(InetSocketAddress relay, Receiver receiver) {
      this.relay = relay;
      this.receiver = receiver;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ByteBuf in = packet.content();
      if (!packet.sender().equals(relay) || in.readableBytes() < 4 || in.getByte(2) != 0) {
        LOG.debug("dropping a datagram from {} that is not a SOCKS5 reply", packet.sender());
        return;
      }
      in.skipBytes(3);
      Destination source = SocksAddress.read(in);
      if (source == null) {
        LOG.debug("dropping a SOCKS5 reply with a malformed address");
        return;
      }
      receiver.received(source, in.retain());
    }
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
