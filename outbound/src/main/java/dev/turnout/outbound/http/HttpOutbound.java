package dev.turnout.outbound.http;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.Transport;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Promise;

/**
 * An HTTP proxy (Clash {@code type: http}) reached with CONNECT, optionally over TLS and with basic
 * authentication. A 2xx reply means the tunnel is open; anything else fails the connect with the
 * status line. The exchange itself is {@link HttpConnectHandshake}'s.
 */
final class HttpOutbound extends ProxyOutbound {
  private final String authorization;

  HttpOutbound(
      String name,
      String server,
      int port,
      String username,
      String password,
      Transport transport,
      Dialer dialer) {
    super(name, server, port, dialer, transport);
    this.authorization = HttpConnectHandshake.basic(username, password);
  }

  @Override
  public String type() {
    return "Http";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    add(
        ch,
        new HttpConnectHandshake(
            HttpConnectHandshake.request(destination, authorization), promise));
  }
}
