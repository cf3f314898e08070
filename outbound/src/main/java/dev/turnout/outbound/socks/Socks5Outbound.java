package dev.turnout.outbound.socks;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyHandshake;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.Transport;
import dev.turnout.outbound.UdpOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;

/**
 * A SOCKS5 proxy (Clash {@code type: socks5}): CONNECT for TCP, UDP ASSOCIATE for datagrams, with
 * no authentication or username/password, over plain TCP or TLS.
 */
final class Socks5Outbound extends ProxyOutbound implements UdpOutbound {
  private final String username;
  private final String password;
  private final boolean udp;

  Socks5Outbound(
      String name,
      String server,
      int port,
      String username,
      String password,
      boolean udp,
      Transport transport,
      Dialer dialer) {
    super(name, server, port, dialer, transport);
    this.username = username;
    this.password = password;
    this.udp = udp;
  }

  @Override
  public String type() {
    return "Socks5";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    Promise<Socks5CommandResponse> reply = ch.eventLoop().newPromise();
    new Socks5Handshake(
            username,
            password,
            Socks5Handshake.commandRequest(Socks5CommandType.CONNECT, destination),
            reply)
        .install(ch);
    ProxyHandshake.completeAfter(reply, ch, promise);
  }

  /** Runs the SOCKS5 handshake for UDP ASSOCIATE on a fresh control connection. */
  Future<Socks5CommandResponse> associate(Channel control) {
    Promise<Socks5CommandResponse> reply = control.eventLoop().newPromise();
    new Socks5Handshake(username, password, Socks5Handshake.udpAssociateRequest(), reply)
        .install(control);
    return reply;
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    if (!udp) {
      return udpNotEnabled(loop);
    }
    return Socks5UdpAssociation.open(this, dialer(), loop, receiver);
  }
}
