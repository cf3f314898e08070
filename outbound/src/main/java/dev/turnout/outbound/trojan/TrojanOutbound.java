package dev.turnout.outbound.trojan;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyHandshake;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.UdpOutbound;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * A Trojan server (Clash {@code type: trojan}): over its transport (TLS, possibly a WebSocket or
 * gRPC inside), the {@link TrojanRequest} header, then the stream. Trojan servers send no reply, so
 * the header goes out at once and the connection is ready when it is written. UDP: one connection
 * per session with the UDP ASSOCIATE command, datagrams framed by {@link TrojanDatagramCodec}.
 *
 * <p>Half-close: the relay's {@code shutdownOutput()} sends a TCP FIN without a TLS close_notify;
 * Trojan servers treat that as the end of the client's stream.
 */
final class TrojanOutbound extends ProxyOutbound implements UdpOutbound {
  private final byte[] passwordHash;
  private final boolean udp;

  TrojanOutbound(
      String name,
      String server,
      int port,
      String password,
      boolean udp,
      Transport transport,
      Dialer dialer) {
    super(name, server, port, dialer, transport);
    this.passwordHash = TrojanRequest.passwordHash(password);
    this.udp = udp;
  }

  @Override
  public String type() {
    return "Trojan";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    ByteBuf request = TrojanRequest.connect(ch.alloc(), passwordHash, destination);
    ProxyHandshake.completeAfter(ch.writeAndFlush(request), ch, promise);
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    if (!udp) {
      return udpNotEnabled(loop);
    }
    return TrojanUdp.open(this, passwordHash, loop, receiver);
  }
}
