package dev.turnout.outbound.trojan;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.socks.SocksAddress;
import dev.turnout.outbound.tls.Tls;
import dev.turnout.outbound.tls.TlsEof;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.Promise;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A Trojan server (Clash {@code type: trojan}): TLS to the server (SNI {@code sni}, certificate
 * checked unless {@code skip-cert-verify}), then the request {@code hex(SHA-224(password)) CRLF
 * CMD=1 address CRLF}, then the stream. The TLS handler stays in the pipeline.
 *
 * <p>Half-close: the relay's {@code shutdownOutput()} sends a TCP FIN without a TLS close_notify;
 * Trojan servers treat that as the end of the client's stream.
 */
final class TrojanOutbound extends ProxyOutbound {
  private static final byte[] CRLF = {'\r', '\n'};

  private final byte[] passwordHash;
  private final Tls tls;

  TrojanOutbound(String name, String server, int port, String password, Tls tls, Dialer dialer) {
    super(name, server, port, dialer);
    this.passwordHash = hash(password);
    this.tls = tls;
  }

  static byte[] hash(String password) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-224").digest(password.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-224 missing from the JDK", e);
    }
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
    // Read from the TLS handler's place: a read from the tail would release the held bytes early.
    ch.pipeline().context(ssl).read();
    ssl.handshakeFuture()
        .addListener(
            h -> {
              if (!h.isSuccess()) {
                promise.tryFailure(h.cause());
                return;
              }
              ByteBuf request = ch.alloc().buffer(64 + SocksAddress.length(destination));
              request.writeBytes(passwordHash).writeBytes(CRLF).writeByte(1);
              SocksAddress.write(destination, request);
              request.writeBytes(CRLF);
              ch.writeAndFlush(request)
                  .addListener(
                      f -> {
                        if (f.isSuccess()) {
                          promise.trySuccess(ch);
                        } else {
                          promise.tryFailure(f.cause());
                        }
                      });
            });
  }
}
