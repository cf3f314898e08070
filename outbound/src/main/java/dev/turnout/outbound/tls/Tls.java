package dev.turnout.outbound.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolConfig.Protocol;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior;
import io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import java.util.List;
import javax.net.ssl.SSLException;

/**
 * TLS towards a proxy server: the JDK's provider and trust store, the server name sent (SNI) and
 * checked against the certificate. {@code skip-cert-verify} trusts any certificate; a {@code
 * fingerprint} (SHA-256 of a certificate, as mihomo pins) replaces the trust store and name check
 * by that pin. Thread-safe: one per proxy, a new handler per connection.
 *
 * <p>The name check is set on the context, not per engine: Netty 4.2 turns it on for every client
 * engine, and the JDK ignores a null algorithm in {@code SSLEngine.setSSLParameters}, so it can
 * only be left off from the start. An IP literal as server name is never sent as SNI (RFC 6066);
 * checked, it must be in the certificate's IP subject alternative names.
 */
public final class Tls {
  /** How a proxy's server certificate is checked and what the hello offers. */
  public record Options(
      String serverName, boolean skipCertVerify, List<String> alpn, byte[] fingerprint) {
    public Options {
      alpn = List.copyOf(alpn);
    }
  }

  private final SslContext context;
  private final String serverName;

  public Tls(String serverName, boolean skipCertVerify, String... alpn) {
    this(new Options(serverName, skipCertVerify, List.of(alpn), null));
  }

  public Tls(Options options) {
    this.serverName = options.serverName();
    boolean checkName = !options.skipCertVerify() && options.fingerprint() == null;
    try {
      SslContextBuilder b =
          SslContextBuilder.forClient().endpointIdentificationAlgorithm(checkName ? "HTTPS" : null);
      if (options.fingerprint() != null) {
        b.trustManager(new CertificatePin(options.fingerprint()));
      } else if (options.skipCertVerify()) {
        b.trustManager(InsecureTrustManagerFactory.INSTANCE);
      }
      if (!options.alpn().isEmpty()) {
        b.applicationProtocolConfig(
            new ApplicationProtocolConfig(
                Protocol.ALPN,
                SelectorFailureBehavior.NO_ADVERTISE,
                SelectedListenerFailureBehavior.ACCEPT,
                options.alpn()));
      }
      context = b.build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /** The name sent as SNI and, unless skipped or pinned, checked against the certificate. */
  public String serverName() {
    return serverName;
  }

  public SslHandler newHandler(ByteBufAllocator alloc, int port) {
    return context.newHandler(alloc, serverName, port);
  }
}
