package dev.turnout.outbound.tls;

import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;

/**
 * TLS towards a proxy server: the JDK's provider, the JDK's trust store, the server name checked
 * against the certificate unless {@code skip-cert-verify} is set. Thread-safe: one per proxy, a new
 * handler per connection.
 */
public final class Tls {
  private final SslContext context;
  private final String serverName;
  private final boolean verify;

  public Tls(String serverName, boolean skipCertVerify, String... alpn) {
    this.serverName = serverName;
    this.verify = !skipCertVerify;
    try {
      SslContextBuilder b = SslContextBuilder.forClient();
      if (skipCertVerify) {
        b.trustManager(InsecureTrustManagerFactory.INSTANCE);
      }
      if (alpn.length > 0) {
        b.applicationProtocolConfig(
            new io.netty.handler.ssl.ApplicationProtocolConfig(
                io.netty.handler.ssl.ApplicationProtocolConfig.Protocol.ALPN,
                io.netty.handler.ssl.ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
                io.netty.handler.ssl.ApplicationProtocolConfig.SelectedListenerFailureBehavior
                    .ACCEPT,
                alpn));
      }
      context = b.build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  public SslHandler newHandler(ByteBufAllocator alloc, int port) {
    SslHandler handler = context.newHandler(alloc, serverName, port);
    SSLParameters params = handler.engine().getSSLParameters();
    params.setEndpointIdentificationAlgorithm(verify ? "HTTPS" : null);
    handler.engine().setSSLParameters(params);
    return handler;
  }
}
