package dev.turnout.outbound.ssh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.util.Arrays;
import java.util.Base64;

/**
 * The client's key for {@code publickey} authentication (RFC 4252 section 7): Ed25519, ECDSA or RSA
 * from an unencrypted OpenSSH private key file (what {@code ssh-keygen} writes), or RSA in PEM
 * (PKCS #1 or #8). RSA signs with rsa-sha2-512, which OpenSSH has accepted since 7.2.
 */
final class UserKey {
  private static final byte[] MAGIC = "openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII);

  /** The DER of the AlgorithmIdentifier rsaEncryption (with NULL parameters), for PKCS #8. */
  private static final String RSA_OID = "300d06092a864886f70d0101010500";

  private final String algorithm;
  private final byte[] publicBlob;
  private final PrivateKey key;
  private final String curve;

  private UserKey(String algorithm, byte[] publicBlob, PrivateKey key, String curve) {
    this.algorithm = algorithm;
    this.publicBlob = publicBlob;
    this.key = key;
    this.curve = curve;
  }

  /** The algorithm name userauth sends: ssh-ed25519, ecdsa-sha2-nistp256, rsa-sha2-512, .... */
  String algorithm() {
    return algorithm;
  }

  byte[] publicBlob() {
    return publicBlob.clone();
  }

  /** An SSH signature blob over {@code data}. */
  byte[] sign(byte[] data) throws GeneralSecurityException {
    Signature s;
    if (algorithm.equals("ssh-ed25519")) {
      s = Signature.getInstance("Ed25519");
    } else if (curve != null) {
      s = Signature.getInstance(SshKeys.ecdsaHash(curve) + "withECDSAinP1363Format");
    } else {
      s = Signature.getInstance("SHA512withRSA");
    }
    s.initSign(key);
    s.update(data);
    byte[] raw = s.sign();
    ByteBuf b = Unpooled.buffer(raw.length + 64);
    SshWire.writeString(b, algorithm);
    if (curve != null) {
      int half = raw.length / 2;
      ByteBuf rs = Unpooled.buffer(raw.length + 10);
      SshWire.writeMpint(rs, new BigInteger(1, Arrays.copyOf(raw, half)));
      SshWire.writeMpint(rs, new BigInteger(1, Arrays.copyOfRange(raw, half, raw.length)));
      SshWire.writeString(b, Arrays.copyOf(rs.array(), rs.writerIndex()));
    } else {
      SshWire.writeString(b, raw);
    }
    return Arrays.copyOf(b.array(), b.writerIndex());
  }

  /**
   * Reads a private key file's text; {@code passphrase} (or null) opens an encrypted OpenSSH key.
   *
   * @throws IllegalArgumentException saying what is wrong with it, for the configuration's error
   */
  static UserKey parse(String text, String passphrase) {
    String t = text.strip();
    try {
      if (t.startsWith("-----BEGIN OPENSSH PRIVATE KEY-----")) {
        return openssh(pem(t, "OPENSSH PRIVATE KEY"), passphrase);
      }
      if (t.startsWith("-----BEGIN RSA PRIVATE KEY-----")) {
        if (t.contains("ENCRYPTED")) {
          throw new IllegalArgumentException(encrypted());
        }
        byte[] pkcs1 = pem(t, "RSA PRIVATE KEY");
        return rsa(pkcs8Rsa(pkcs1));
      }
      if (t.startsWith("-----BEGIN PRIVATE KEY-----")) {
        return rsa(pem(t, "PRIVATE KEY"));
      }
      if (t.startsWith("-----BEGIN ENCRYPTED PRIVATE KEY-----")) {
        throw new IllegalArgumentException(encrypted());
      }
    } catch (GeneralSecurityException | SshException | RuntimeException e) {
      if (e instanceof IllegalArgumentException) {
        throw (IllegalArgumentException) e;
      }
      throw new IllegalArgumentException("the private key cannot be read: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException(
        "not a private key Turnout reads: an OpenSSH key (BEGIN OPENSSH PRIVATE KEY) or RSA in PEM");
  }

  private static String encrypted() {
    return "an encrypted PEM private key: Turnout opens encrypted keys in OpenSSH's format only"
        + " (ssh-keygen -p -f FILE rewrites a copy in it)";
  }

  private static byte[] pem(String text, String label) {
    int from = text.indexOf('\n', text.indexOf("-----BEGIN " + label + "-----"));
    int to = text.indexOf("-----END " + label + "-----");
    if (from < 0 || to < from) {
      throw new IllegalArgumentException("the key's PEM armour is cut short");
    }
    return Base64.getMimeDecoder().decode(text.substring(from, to));
  }

  private static UserKey openssh(byte[] der, String passphrase)
      throws GeneralSecurityException, SshException {
    if (der.length < MAGIC.length || !Arrays.equals(Arrays.copyOf(der, MAGIC.length), MAGIC)) {
      throw new IllegalArgumentException("not an openssh-key-v1 file");
    }
    ByteBuf b = Unpooled.wrappedBuffer(der, MAGIC.length, der.length - MAGIC.length);
    String cipher = SshWire.readUtf8(b);
    String kdf = SshWire.readUtf8(b);
    byte[] kdfOptions = SshWire.readString(b);
    if (SshWire.readInt(b) != 1) {
      throw new IllegalArgumentException("a key file with more than one key");
    }
    byte[] publicBlob = SshWire.readString(b);
    byte[] secret = SshWire.readString(b);
    if (!cipher.equals("none")) {
      if (passphrase == null || passphrase.isEmpty()) {
        throw new IllegalArgumentException(
            "the private key is encrypted: give its passphrase as private-key-passphrase");
      }
      byte[] tag = new byte[Math.min(16, b.readableBytes())];
      b.readBytes(tag);
      secret = KeyFileCipher.open(cipher, kdf, kdfOptions, passphrase, secret, tag);
    }
    ByteBuf p = Unpooled.wrappedBuffer(secret);
    if (SshWire.readInt(p) != SshWire.readInt(p)) {
      throw new IllegalArgumentException(
          cipher.equals("none")
              ? "the key's check numbers differ: a damaged file"
              : "private-key-passphrase does not open the private key");
    }
    String type = SshWire.readUtf8(p);
    if (type.equals("ssh-ed25519")) {
      SshWire.readString(p); // public
      byte[] seed = SshWire.readString(p); // the seed, then the public key again
      return new UserKey(type, publicBlob, SshKeys.ed25519Private(seed), null);
    }
    if (type.startsWith("ecdsa-sha2-")) {
      String curve = SshWire.readUtf8(p);
      SshWire.readString(p); // public point
      BigInteger d = SshWire.readMpint(p);
      return new UserKey(type, publicBlob, SshKeys.ecPrivate(curve, d), curve);
    }
    if (type.equals("ssh-rsa")) {
      BigInteger n = SshWire.readMpint(p);
      BigInteger e = SshWire.readMpint(p);
      BigInteger d = SshWire.readMpint(p);
      BigInteger iqmp = SshWire.readMpint(p);
      BigInteger pp = SshWire.readMpint(p);
      BigInteger q = SshWire.readMpint(p);
      PrivateKey k =
          KeyFactory.getInstance("RSA")
              .generatePrivate(
                  new RSAPrivateCrtKeySpec(
                      n,
                      e,
                      d,
                      pp,
                      q,
                      d.mod(pp.subtract(BigInteger.ONE)),
                      d.mod(q.subtract(BigInteger.ONE)),
                      iqmp));
      return new UserKey("rsa-sha2-512", publicBlob, k, null);
    }
    throw new IllegalArgumentException("a " + type + " key, which Turnout does not sign with");
  }

  private static UserKey rsa(byte[] pkcs8) throws GeneralSecurityException {
    PrivateKey k = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    RSAPrivateCrtKey crt = (RSAPrivateCrtKey) k;
    ByteBuf blob = Unpooled.buffer(600);
    SshWire.writeString(blob, "ssh-rsa");
    SshWire.writeMpint(blob, crt.getPublicExponent());
    SshWire.writeMpint(blob, crt.getModulus());
    return new UserKey("rsa-sha2-512", Arrays.copyOf(blob.array(), blob.writerIndex()), k, null);
  }

  /** PKCS #8 around a PKCS #1 key: version 0, the rsaEncryption identifier, the key. */
  private static byte[] pkcs8Rsa(byte[] pkcs1) {
    byte[] oid = java.util.HexFormat.of().parseHex(RSA_OID);
    byte[] octets = SshKeys.concat(derLength(0x04, pkcs1.length), pkcs1);
    byte[] body = SshKeys.concat(SshKeys.concat(new byte[] {2, 1, 0}, oid), octets);
    return SshKeys.concat(derLength(0x30, body.length), body);
  }

  private static byte[] derLength(int tag, int length) {
    if (length < 0x80) {
      return new byte[] {(byte) tag, (byte) length};
    }
    if (length < 0x100) {
      return new byte[] {(byte) tag, (byte) 0x81, (byte) length};
    }
    return new byte[] {(byte) tag, (byte) 0x82, (byte) (length >>> 8), (byte) length};
  }
}
