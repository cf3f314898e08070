package dev.turnout.outbound.ssh;

import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;

/**
 * The key types SSH names, as Java keys: Ed25519, ECDSA on the three NIST curves, RSA. Only what
 * the JDK has (Ed25519 since Java 15), so no provider is added.
 */
final class SshKeys {
  /** The DER in front of a raw 32-byte Ed25519 public key (SubjectPublicKeyInfo). */
  private static final byte[] ED25519_SPKI = hex("302a300506032b6570032100");

  /** The DER in front of a raw 32-byte Ed25519 seed (PKCS #8). */
  private static final byte[] ED25519_PKCS8 = hex("302e020100300506032b657004220420");

  private SshKeys() {}

  static PublicKey ed25519Public(byte[] raw) throws GeneralSecurityException {
    if (raw.length != 32) {
      throw new GeneralSecurityException("an Ed25519 key of " + raw.length + " bytes");
    }
    return KeyFactory.getInstance("Ed25519")
        .generatePublic(new X509EncodedKeySpec(concat(ED25519_SPKI, raw)));
  }

  static PrivateKey ed25519Private(byte[] seed) throws GeneralSecurityException {
    return KeyFactory.getInstance("Ed25519")
        .generatePrivate(new PKCS8EncodedKeySpec(concat(ED25519_PKCS8, Arrays.copyOf(seed, 32))));
  }

  static PublicKey rsaPublic(BigInteger e, BigInteger n) throws GeneralSecurityException {
    if (n.bitLength() < 1024) {
      throw new GeneralSecurityException("an RSA key of " + n.bitLength() + " bits");
    }
    return KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
  }

  /** The JDK name of the curve of {@code nistp256} and so on, or null. */
  static String curveOf(String sshCurve) {
    switch (sshCurve) {
      case "nistp256":
        return "secp256r1";
      case "nistp384":
        return "secp384r1";
      case "nistp521":
        return "secp521r1";
      default:
        return null;
    }
  }

  /** The hash ECDSA on that curve signs with in SSH (RFC 5656 section 6.2.1). */
  static String ecdsaHash(String sshCurve) {
    switch (sshCurve) {
      case "nistp256":
        return "SHA256";
      case "nistp384":
        return "SHA384";
      default:
        return "SHA512";
    }
  }

  static ECParameterSpec curve(String sshCurve) throws GeneralSecurityException {
    String name = curveOf(sshCurve);
    if (name == null) {
      throw new GeneralSecurityException("the curve " + sshCurve);
    }
    AlgorithmParameters p = AlgorithmParameters.getInstance("EC");
    p.init(new ECGenParameterSpec(name));
    return p.getParameterSpec(ECParameterSpec.class);
  }

  /** An uncompressed point (0x04, x, y) on the curve. */
  static PublicKey ecPublic(String sshCurve, byte[] q) throws GeneralSecurityException {
    ECParameterSpec spec = curve(sshCurve);
    int size = (spec.getCurve().getField().getFieldSize() + 7) / 8;
    if (q.length != 1 + 2 * size || q[0] != 4) {
      throw new GeneralSecurityException("an EC point that is not uncompressed on " + sshCurve);
    }
    BigInteger x = new BigInteger(1, Arrays.copyOfRange(q, 1, 1 + size));
    BigInteger y = new BigInteger(1, Arrays.copyOfRange(q, 1 + size, q.length));
    return KeyFactory.getInstance("EC")
        .generatePublic(new ECPublicKeySpec(new ECPoint(x, y), spec));
  }

  static PrivateKey ecPrivate(String sshCurve, BigInteger d) throws GeneralSecurityException {
    return KeyFactory.getInstance("EC").generatePrivate(new ECPrivateKeySpec(d, curve(sshCurve)));
  }

  /** The field size in bytes of the curve of {@code sshCurve}: the width of r and s. */
  static int fieldBytes(String sshCurve) throws GeneralSecurityException {
    return (curve(sshCurve).getCurve().getField().getFieldSize() + 7) / 8;
  }

  /** {@code n} big-endian in exactly {@code size} bytes. */
  static byte[] fixed(BigInteger n, int size) throws GeneralSecurityException {
    byte[] b = n.toByteArray();
    if (b.length == size) {
      return b;
    }
    if (b.length == size + 1 && b[0] == 0) {
      return Arrays.copyOfRange(b, 1, b.length);
    }
    if (b.length > size) {
      throw new GeneralSecurityException("a number too long for its field");
    }
    byte[] out = new byte[size];
    System.arraycopy(b, 0, out, size - b.length, b.length);
    return out;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] c = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }

  private static byte[] hex(String s) {
    return java.util.HexFormat.of().parseHex(s);
  }
}
