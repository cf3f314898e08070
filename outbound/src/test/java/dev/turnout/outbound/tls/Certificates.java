package dev.turnout.outbound.tls;

import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.concurrent.TimeUnit;

/** Self-signed certificates for tests, made by {@code openssl} (the JDK has no public API). */
final class Certificates {
  private Certificates() {}

  /** A fresh self-signed EC certificate for {@code name}; {@code unused} documents the key type. */
  static X509Certificate selfSigned(String name, KeyPairGenerator unused) throws Exception {
    Path dir = Files.createTempDirectory("cert");
    try {
      Process p =
          new ProcessBuilder(
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
                  "/CN=" + name,
                  "-keyout",
                  dir.resolve("key.pem").toString(),
                  "-out",
                  dir.resolve("cert.pem").toString())
              .redirectErrorStream(true)
              .start();
      p.getInputStream().readAllBytes();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException("openssl failed");
      }
      byte[] pem = Files.readAllBytes(dir.resolve("cert.pem"));
      return (X509Certificate)
          CertificateFactory.getInstance("X.509")
              .generateCertificate(new ByteArrayInputStream(pem));
    } finally {
      Files.deleteIfExists(dir.resolve("key.pem"));
      Files.deleteIfExists(dir.resolve("cert.pem"));
      Files.deleteIfExists(dir);
    }
  }
}
