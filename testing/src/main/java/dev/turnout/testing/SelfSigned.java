package dev.turnout.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Self-signed certificates for test servers, made by openssl (the JDK has no public API to make
 * one): an EC P-256 key and a certificate valid for a day. Stateless.
 */
public final class SelfSigned {
  /** The password of {@link #keyStore}'s store and key. */
  public static final String PASSWORD = "changeit";

  private SelfSigned() {}

  /**
   * Writes {@code key.pem} (PKCS#8) and {@code cert.pem} for {@code commonName} into {@code dir},
   * with {@code subjectAltName} in openssl's form ({@code IP:127.0.0.1}, {@code DNS:proxy.test})
   * unless null.
   */
  public static void write(Path dir, String commonName, String subjectAltName)
      throws IOException, InterruptedException {
    List<String> command =
        new ArrayList<>(
            List.of(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "1",
                "-subj",
                "/CN=" + commonName,
                "-keyout",
                dir.resolve("key.pem").toString(),
                "-out",
                dir.resolve("cert.pem").toString()));
    if (subjectAltName != null) {
      command.addAll(List.of("-addext", "subjectAltName=" + subjectAltName));
    }
    Command.check(Command.CHECK_TIMEOUT, command);
  }

  /**
   * As {@link #write}, then the key and certificate in a PKCS#12 store ({@code server.p12} in
   * {@code dir}, alias {@code server}, {@link #PASSWORD}), loaded: what a JDK TLS server takes.
   */
  public static KeyStore keyStore(Path dir, String commonName, String subjectAltName)
      throws IOException, InterruptedException, GeneralSecurityException {
    write(dir, commonName, subjectAltName);
    Path store = dir.resolve("server.p12");
    Command.check(
        Command.CHECK_TIMEOUT,
        List.of(
            "openssl",
            "pkcs12",
            "-export",
            "-name",
            "server",
            "-inkey",
            dir.resolve("key.pem").toString(),
            "-in",
            dir.resolve("cert.pem").toString(),
            "-out",
            store.toString(),
            "-passout",
            "pass:" + PASSWORD));
    KeyStore keys = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(store)) {
      keys.load(in, PASSWORD.toCharArray());
    }
    return keys;
  }
}
