package dev.turnout.outbound.wireguard;

import dev.turnout.outbound.crypto.Blake2s;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.XECPrivateKeySpec;
import java.security.spec.XECPublicKeySpec;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The primitives of Noise_IKpsk2_25519_ChaChaPoly_BLAKE2s as the WireGuard paper (section 5.4)
 * names them: HASH, MAC, HMAC, KDF1..3, AEAD with a counter nonce, DH over X25519. Built on the
 * JDK's XDH and ChaCha20-Poly1305 and {@link Blake2s}. Stateless and thread-safe.
 */
final class Noise {
  static final int KEY = 32;
  static final int TAG = 16;
  private static final int HMAC_BLOCK = 64;
  private static final NamedParameterSpec X25519 = NamedParameterSpec.X25519;
  private static final byte[] BASE_POINT = basePoint();

  private Noise() {}

  static byte[] hash(byte[]... parts) {
    return Blake2s.hash(parts);
  }

  /** MAC(key, input): keyed BLAKE2s with a 16-byte digest. */
  static byte[] mac(byte[] key, byte[] data, int length) {
    return Blake2s.mac(key, 16, data, 0, length);
  }

  /** HMAC-BLAKE2s (RFC 2104 over a 64-byte block). */
  static byte[] hmac(byte[] key, byte[]... parts) {
    byte[] k = key.length > HMAC_BLOCK ? hash(key) : key;
    byte[] inner = new byte[HMAC_BLOCK];
    byte[] outer = new byte[HMAC_BLOCK];
    for (int i = 0; i < HMAC_BLOCK; i++) {
      byte b = i < k.length ? k[i] : 0;
      inner[i] = (byte) (b ^ 0x36);
      outer[i] = (byte) (b ^ 0x5c);
    }
    Blake2s in = new Blake2s(32);
    in.update(inner, 0, HMAC_BLOCK);
    for (byte[] p : parts) {
      in.update(p, 0, p.length);
    }
    byte[] innerHash = in.digest();
    return hash(outer, innerHash);
  }

  /** KDFn(key, input): {@code n} (1 to 3) chained HMAC outputs. */
  static byte[][] kdf(int n, byte[] key, byte[] input) {
    byte[] t0 = hmac(key, input);
    byte[][] out = new byte[n][];
    byte[] previous = new byte[0];
    for (int i = 0; i < n; i++) {
      previous = hmac(t0, previous, new byte[] {(byte) (i + 1)});
      out[i] = previous;
    }
    return out;
  }

  /** AEAD(key, counter, plain, aad): ChaCha20-Poly1305 with nonce 0^32 || LE64(counter). */
  static byte[] seal(byte[] key, long counter, byte[] plain, byte[] aad) {
    try {
      Cipher c = cipher(Cipher.ENCRYPT_MODE, key, counter);
      c.updateAAD(aad);
      return c.doFinal(plain);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The plaintext, or null when authentication fails. */
  static byte[] open(byte[] key, long counter, byte[] sealed, byte[] aad) {
    try {
      Cipher c = cipher(Cipher.DECRYPT_MODE, key, counter);
      c.updateAAD(aad);
      return c.doFinal(sealed);
    } catch (AEADBadTagException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static Cipher cipher(int mode, byte[] key, long counter) throws GeneralSecurityException {
    Cipher c = Cipher.getInstance("ChaCha20-Poly1305");
    c.init(mode, new SecretKeySpec(key, "ChaCha20"), new IvParameterSpec(nonce(counter)));
    return c;
  }

  static byte[] nonce(long counter) {
    byte[] n = new byte[12];
    ByteBuffer.wrap(n, 4, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(counter);
    return n;
  }

  /**
   * DH(private, public): X25519. Null when the result is all zeros or the JDK refuses the point (a
   * low-order public key), which WireGuard treats as a failed handshake.
   */
  static byte[] dh(byte[] privateKey, byte[] publicKey) {
    try {
      KeyFactory factory = KeyFactory.getInstance("XDH");
      PrivateKey priv = factory.generatePrivate(new XECPrivateKeySpec(X25519, privateKey.clone()));
      PublicKey pub = factory.generatePublic(new XECPublicKeySpec(X25519, u(publicKey)));
      KeyAgreement ka = KeyAgreement.getInstance("XDH");
      ka.init(priv);
      ka.doPhase(pub, true);
      byte[] shared = ka.generateSecret();
      return isZero(shared) ? null : shared;
    } catch (java.security.InvalidKeyException e) {
      return null;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 missing from the JDK", e);
    }
  }

  /** The public key of an X25519 private key: DH with the base point 9. */
  static byte[] publicKey(byte[] privateKey) {
    byte[] pub = dh(privateKey, BASE_POINT);
    if (pub == null) {
      throw new IllegalArgumentException("not a usable X25519 private key");
    }
    return pub;
  }

  /** The u-coordinate of an encoded public key: little-endian, top bit masked (RFC 7748). */
  private static BigInteger u(byte[] encoded) {
    byte[] be = new byte[encoded.length];
    for (int i = 0; i < encoded.length; i++) {
      be[i] = encoded[encoded.length - 1 - i];
    }
    be[0] &= 0x7f;
    return new BigInteger(1, be);
  }

  static boolean isZero(byte[] b) {
    int acc = 0;
    for (byte x : b) {
      acc |= x;
    }
    return acc == 0;
  }

  private static byte[] basePoint() {
    byte[] b = new byte[KEY];
    b[0] = 9;
    return b;
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
