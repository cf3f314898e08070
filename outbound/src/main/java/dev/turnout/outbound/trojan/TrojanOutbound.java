package dev.turnout.outbound.trojan;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.tls.Tls;
import dev.turnout.outbound.tls.TlsEof;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;

/**
 * A Trojan server (Clash {@code type: trojan}): TLS to the server (SNI {@code sni}, certificate
 * checked unless {@code skip-cert-verify}), then the {@link TrojanRequest} header, then the stream.
 * The TLS handler stays in the pipeline.
 *
 * <p>Half-close: the relay's {@code shutdownOutput()} sends a TCP FIN without a TLS close_notify;
 * Trojan servers treat that as the end of the client's stream.
 */
final class TrojanOutbound extends ProxyOutbound {
  private final byte[] passwordHash;
  private final Tls tls;

  TrojanOutbound(String name, String server, int port, String password, Tls tls, Dialer dialer) {
    super(name, server, port, dialer);
    this.passwordHash = TrojanRequest.passwordHash(password);
    this.tls = tls;
  }

  @Override
  public String type() {
    return "Trojan";
  }

  @Override
  protected void handshake(Channel ch, Destination destination, Promise<Channel> promise) {
    SslHandler ssl = tls.newHandler(ch.alloc(), port());
    add(ch, ssl);
    add(ch, new TlsEof());
    add(ch, new TrojanHandshake(passwordHash, destination, promise));
    // Read from the TLS handler's place: a read from the tail would release the held bytes early.
    ch.pipeline().context(ssl).read();
  }
}
