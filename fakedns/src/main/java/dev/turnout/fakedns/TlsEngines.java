package dev.turnout.fakedns;

import io.netty.handler.ssl.SslHandler;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * Client TLS for DNS over TLS and HTTPS. The certificate must be valid for the server as
 * configured: its name (also sent as SNI), or its IP address when it was given as a literal. The
 * JDK's trust store is used unless another {@link SSLContext} is given.
 */
final class TlsEngines {
  private TlsEngines() {}

  /**
   * A handler for a new client connection to {@code host} (a name or an address literal).
   *
   * @param alpn the application protocols to offer, most preferred first; none for DNS over TLS
   */
  static SslHandler client(
      SSLContext context, String host, int port, Duration timeout, String... alpn) {
    SSLEngine engine = context.createSSLEngine(host, port);
    engine.setUseClientMode(true);
    SSLParameters params = engine.getSSLParameters();
    params.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host
    if (alpn.length > 0) {
      params.setApplicationProtocols(alpn);
    }
    engine.setSSLParameters(params);
    SslHandler handler = new SslHandler(engine);
    handler.setHandshakeTimeoutMillis(timeout.toMillis());
    return handler;
  }
}
