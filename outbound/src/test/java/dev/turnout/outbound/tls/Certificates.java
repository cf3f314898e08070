package dev.turnout.outbound.tls;

import dev.turnout.testing.SelfSigned;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/** Self-signed certificates for tests, made by {@code openssl} ({@link SelfSigned}). */
final class Certificates {
  private Certificates() {}

  /** A fresh self-signed EC certificate for {@code name}; {@code unused} documents the key type. */
  static X509Certificate selfSigned(String name, KeyPairGenerator unused) throws Exception {
    Path dir = Files.createTempDirectory("cert");
    try {
      SelfSigned.write(dir, name, null);
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
