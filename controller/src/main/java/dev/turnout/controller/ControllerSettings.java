package dev.turnout.controller;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * How the controller serves: where it listens, the secret clients must present (empty: none), the
 * dashboard directory served at {@code /ui/} (null: none), which web origins may call it ({@code *}
 * for all, empty for none but its own), whether private-network preflights are allowed, and the
 * version string {@code GET /version} reports.
 */
public record ControllerSettings(
    InetSocketAddress listen,
    String secret,
    Path ui,
    List<String> allowOrigins,
    boolean allowPrivateNetwork,
    String version) {

  public ControllerSettings {
    Objects.requireNonNull(listen, "listen");
    secret = secret == null ? "" : secret;
    allowOrigins = List.copyOf(allowOrigins);
    Objects.requireNonNull(version, "version");
    if (secret.isEmpty() && !listen.getAddress().isLoopbackAddress()) {
      throw new IllegalArgumentException(
          "the controller on "
              + listen.getAddress().getHostAddress()
              + " would be reachable from other hosts without a secret; set secret or listen on"
              + " 127.0.0.1");
    }
  }
}
