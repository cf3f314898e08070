package dev.turnout.outbound.tls;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a server whose certificate chain holds a certificate with the pinned SHA-256 digest (of
 * its DER encoding), as mihomo's {@code fingerprint} does, and nothing else: no trust store, no
 * expiry or name check. Stateless and thread-safe.
 *
 * <p>Extended, so that the JDK calls it as it is: a plain {@code X509TrustManager} it wraps in one
 * that adds the engine's host name check, which refuses a server addressed by IP whose certificate
 * has no subject alternative name, as self-signed proxy certificates often are.
 */
final class CertificatePin extends X509ExtendedTrustManager {
  private final byte[] sha256;

  CertificatePin(byte[] sha256) {
    if (sha256.length != 32) {
      throw new IllegalArgumentException("a SHA-256 fingerprint has 32 bytes");
    }
    this.sha256 = sha256.clone();
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    for (X509Certificate c : chain) {
      if (MessageDigest.isEqual(digest(c), sha256)) {
        return;
      }
    }
    throw new CertificateException(
        "the server's certificate does not match the pinned fingerprint " + hex(sha256));
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkServerTrusted(chain, authType);
  }

  static byte[] digest(X509Certificate c) throws CertificateException {
    try {
      return MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
    } catch (GeneralSecurityException e) {
      throw new CertificateException(e);
    }
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    throw new CertificateException("a client-side trust manager");
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    checkClientTrusted(chain, authType);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
