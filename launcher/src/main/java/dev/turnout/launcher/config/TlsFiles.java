package dev.turnout.launcher.config;

import dev.turnout.config.MappingReader;
import dev.turnout.inbound.ServerTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;

/**
 * A server's TLS from mihomo's {@code certificate} and {@code private-key}, each the PEM text
 * itself or a file (from {@code home} when relative): a listener's, or the top-level {@code tls:}
 * that {@code external-controller-tls} serves with.
 */
final class TlsFiles {
  private TlsFiles() {}

  /**
   * The TLS, or null with a warning (on {@code section}, saying {@code where} and that {@code what}
   * is skipped) when they cannot be used: what needs them is skipped rather than served without the
   * TLS its clients speak.
   */
  static ServerTls read(
      MappingReader section, String where, String certificate, String privateKey, Path home) {
    if (certificate == null || privateKey == null) {
      section.warning(
          certificate == null ? "certificate" : "private-key",
          where + ": TLS needs both certificate and private-key; skipped");
      return null;
    }
    try {
      return ServerTls.of(pem(certificate, home), pem(privateKey, home));
    } catch (IOException | IllegalArgumentException e) {
      section.warning("certificate", where + ": " + e.getMessage() + "; skipped");
      return null;
    }
  }

  /** The PEM text written, or the text of the file named. */
  private static String pem(String value, Path home) throws IOException {
    if (value.contains("-----BEGIN")) {
      return value;
    }
    try {
      return Files.readString(home.resolve(value.strip()), StandardCharsets.US_ASCII);
    } catch (IOException | InvalidPathException e) {
      throw new IOException("cannot read " + value.strip() + ": " + e.getMessage(), e);
    }
  }
}
