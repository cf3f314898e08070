package dev.turnout.outbound.vless;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyHandshake;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.Transport;
import io.netty.channel.Channel;
import io.netty.util.concurrent.Promise;
import java.util.UUID;

/**
 * A VLESS server (Clash {@code type: vless}): over its transport, the {@link VlessRequest} header
 * goes out at once (so server-first protocols work) and the connection is ready when it is written;
 * the {@link VlessResponseDecoder} takes the response header off the server's stream.
 */
final class VlessOutbound extends ProxyOutbound {
  private final byte[] id;

  VlessOutbound(
      String name, String server, int port, UUID uuid, Transport transport, Dialer dialer) {
    super(name, server, port, dialer, transport);
    this.id = VlessRequest.id(uuid);
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
}
