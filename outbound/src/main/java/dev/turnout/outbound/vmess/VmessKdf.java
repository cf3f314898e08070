package dev.turnout.outbound.vmess;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.function.UnaryOperator;

/**
 * The VMess AEAD key derivation: nested HMACs. The innermost hash is HMAC-SHA256 keyed with "VMess
 * AEAD KDF"; each path element wraps the previous hash in another HMAC keyed with that element
 * (block size 64 throughout); the result is that outermost function applied to the key.
 */
final class VmessKdf {
  private static final int BLOCK = 64;

  private VmessKdf() {}

  static byte[] kdf(byte[] key, byte[]... path) {
    UnaryOperator<byte[]> h = VmessKdf::sha256;
    h = hmac(h, "VMess AEAD KDF".getBytes(StandardCharsets.US_ASCII));
    for (byte[] p : path) {
      h = hmac(h, p);
    }
    return h.apply(key);
  }

  static byte[] kdf16(byte[] key, byte[]... path) {
    return java.util.Arrays.copyOf(kdf(key, path), 16);
  }

  static byte[] kdf12(byte[] key, byte[]... path) {
    return java.util.Arrays.copyOf(kdf(key, path), 12);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static UnaryOperator<byte[]> hmac(UnaryOperator<byte[]> hash, byte[] key) {
    byte[] k = key.length > BLOCK ? hash.apply(key) : key;
    byte[] ipad = new byte[BLOCK];
    byte[] opad = new byte[BLOCK];
    for (int i = 0; i < BLOCK; i++) {
      byte b = i < k.length ? k[i] : 0;
      ipad[i] = (byte) (b ^ 0x36);
      opad[i] = (byte) (b ^ 0x5c);
    }
    return message -> hash.apply(concat(opad, hash.apply(concat(ipad, message))));
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int at = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, at, p.length);
      at += p.length;
    }
    return out;
  }

  static byte[] sha256(byte[] data) {
    return digest("SHA-256", data);
  }

  static byte[] md5(byte[] data) {
    return digest("MD5", data);
  }

  private static byte[] digest(String algorithm, byte[] data) {
    try {
      return MessageDigest.getInstance(algorithm).digest(data);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(algorithm + " missing from the JDK", e);
    }
  }
}
