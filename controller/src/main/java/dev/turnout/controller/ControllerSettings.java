package dev.turnout.controller;

import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How the controller serves: where it listens over plain HTTP ({@code listen}, null for nowhere),
 * over HTTPS ({@code tlsListen} with the server's {@code tls}, mihomo's {@code
 * external-controller-tls}; null for nowhere) and on a Unix socket ({@code unixSocket}, mihomo's
 * {@code external-controller-unix}: its file mode 0600 lets only Turnout's own user in, so it asks
 * no secret, as mihomo does not; null for none), the secret clients must present (empty: none), the
 * dashboard directory served at {@code /ui/} (null: none), which web origins may call it ({@code *}
 * for all, empty for none but its own), whether private-network preflights are allowed, and the
 * version string {@code GET /version} reports.
 */
public record ControllerSettings(
    InetSocketAddress listen,
    InetSocketAddress tlsListen,
    SslContext tls,
    Path unixSocket,
    String secret,
    Path ui,
    List<String> allowOrigins,
    boolean allowPrivateNetwork,
    String version) {

  public ControllerSettings {
    if (listen == null && tlsListen == null && unixSocket == null) {
      throw new IllegalArgumentException("the controller needs an address to listen on");
    }
    if (tlsListen != null && tls == null) {
      throw new IllegalArgumentException("HTTPS needs a certificate and its key");
    }
    secret = secret == null ? "" : secret;
    allowOrigins = List.copyOf(allowOrigins);
    Objects.requireNonNull(version, "version");
    for (InetSocketAddress a : new InetSocketAddress[] {listen, tlsListen}) {
      if (a != null && secret.isEmpty() && !a.getAddress().isLoopbackAddress()) {
        throw new IllegalArgumentException(
            "the controller on "
                + a.getAddress().getHostAddress()
                + " would be reachable from other hosts without a secret; set secret or listen on"
                + " 127.0.0.1");
      }
    }
  }

  /** Plain HTTP only. */
  public ControllerSettings(
      InetSocketAddress listen,
      String secret,
      Path ui,
      List<String> allowOrigins,
      boolean allowPrivateNetwork,
      String version) {
    this(listen, null, null, null, secret, ui, allowOrigins, allowPrivateNetwork, version);
  }
}
