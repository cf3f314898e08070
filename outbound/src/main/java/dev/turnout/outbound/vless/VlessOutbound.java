package dev.turnout.outbound.vless;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyHandshake;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.StreamDatagramSession;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.UdpOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.util.UUID;

/**
 * A VLESS server (Clash {@code type: vless}): over its transport, the {@link VlessRequest} header
 * goes out at once (so server-first protocols work) and the connection is ready when it is written;
 * the {@link VlessResponseDecoder} takes the response header off the server's stream. UDP: one
 * connection per destination with the UDP command, each datagram prefixed by its 2-byte length both
 * ways.
 */
final class VlessOutbound extends ProxyOutbound implements UdpOutbound {
  private final byte[] id;
  private final boolean udp;

  VlessOutbound(
      String name,
      String server,
      int port,
      UUID uuid,
      boolean udp,
      Transport transport,
      Dialer dialer) {
    super(name, server, port, dialer, transport);
    this.id = VlessRequest.id(uuid);
    this.udp = udp;
  }

  @Override
  public String type() {
    return "Vless";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    add(ch, new VlessResponseDecoder());
    ProxyHandshake.completeAfter(
        ch.writeAndFlush(VlessRequest.header(ch.alloc(), id, VlessRequest.TCP, destination)),
        ch,
        promise);
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    if (!udp) {
      return udpNotEnabled(loop);
    }
    return loop.newSucceededFuture(
        new StreamDatagramSession(loop, 0xffff, d -> udpFlow(d, loop), receiver));
  }

  private Future<Channel> udpFlow(Destination destination, EventLoop loop) {
    return openWith(
        destination,
        loop,
        ch -> {
          add(ch, new VlessResponseDecoder());
          // The header goes through the pipeline now, before the length codec is there.
          Future<?> sent =
              ch.writeAndFlush(VlessRequest.header(ch.alloc(), id, VlessRequest.UDP, destination));
          add(ch, new LengthFieldBasedFrameDecoder(0xffff + 2, 0, 2, 0, 2));
          add(ch, new LengthFieldPrepender(2));
          return sent;
        });
  }
}
