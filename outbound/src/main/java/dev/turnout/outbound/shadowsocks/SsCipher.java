package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.crypto.Aead;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Shadowsocks AEAD ciphers and their key schedule. The master key comes from the password by
 * OpenSSL's EVP_BytesToKey with MD5 (one iteration, no salt); each direction of a TCP connection,
 * and each UDP packet, has a random salt as long as the key, and its own subkey HKDF-SHA1(key =
 * master key, salt, info = "ss-subkey").
 */
enum SsCipher {
  AES_128_GCM("aes-128-gcm", 16, "AES/GCM/NoPadding", "AES"),
  AES_192_GCM("aes-192-gcm", 24, "AES/GCM/NoPadding", "AES"),
  AES_256_GCM("aes-256-gcm", 32, "AES/GCM/NoPadding", "AES"),
  CHACHA20_IETF_POLY1305("chacha20-ietf-poly1305", 32, "ChaCha20-Poly1305", "ChaCha20"),
  XCHACHA20_IETF_POLY1305("xchacha20-ietf-poly1305", 32, Aead.XCHACHA20_POLY1305, "ChaCha20");

  static final List<String> NAMES = Arrays.stream(values()).map(c -> c.configName).toList();

  final String configName;
  final int keySize;
  final String transformation;
  final String keyAlgorithm;

  SsCipher(String configName, int keySize, String transformation, String keyAlgorithm) {
    this.configName = configName;
    this.keySize = keySize;
    this.transformation = transformation;
    this.keyAlgorithm = keyAlgorithm;
  }

  int saltSize() {
    return keySize;
  }

  /** One direction's AEAD: the subkey of {@code salt}, the nonce counting from zero. */
  Aead aead(byte[] masterKey, byte[] salt) {
    return new Aead(transformation, keyAlgorithm, subkey(masterKey, salt));
  }

  static SsCipher byName(String name) {
    for (SsCipher c : values()) {
      if (c.configName.equals(name)) {
        return c;
      }
    }
    return null;
  }

  /** EVP_BytesToKey(MD5): D1 = MD5(password), Di = MD5(Di-1 || password), concatenated. */
  byte[] masterKey(String password) {
    byte[] pw = password.getBytes(StandardCharsets.UTF_8);
    byte[] key = new byte[keySize];
    byte[] previous = new byte[0];
    try {
      for (int filled = 0; filled < keySize; ) {
        MessageDigest md5 = MessageDigest.getInstance("MD5");
        md5.update(previous);
        md5.update(pw);
        previous = md5.digest();
        int n = Math.min(previous.length, keySize - filled);
        System.arraycopy(previous, 0, key, filled, n);
        filled += n;
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("MD5 missing from the JDK", e);
    }
    return key;
  }

  /** HKDF-SHA1 (RFC 5869) with info "ss-subkey", as long as the key. */
  byte[] subkey(byte[] masterKey, byte[] salt) {
    return hkdfSha1(masterKey, salt, "ss-subkey".getBytes(StandardCharsets.US_ASCII), keySize);
  }

  static byte[] hkdfSha1(byte[] ikm, byte[] salt, byte[] info, int length) {
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(salt.length == 0 ? new byte[20] : salt, "HmacSHA1"));
      byte[] prk = mac.doFinal(ikm);
      mac.init(new SecretKeySpec(prk, "HmacSHA1"));
      byte[] out = new byte[length];
      byte[] t = new byte[0];
      for (int filled = 0, i = 1; filled < length; i++) {
        mac.update(t);
        mac.update(info);
        mac.update((byte) i);
        t = mac.doFinal();
        int n = Math.min(t.length, length - filled);
        System.arraycopy(t, 0, out, filled, n);
        filled += n;
      }
      return out;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 missing from the JDK", e);
    }
  }
}
