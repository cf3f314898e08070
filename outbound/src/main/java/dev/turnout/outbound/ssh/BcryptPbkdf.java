package dev.turnout.outbound.ssh;

import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;

/**
 * OpenBSD's bcrypt_pbkdf, which derives the key that encrypts an OpenSSH private key file from its
 * passphrase: PBKDF2's shape with SHA-512 and a Blowfish-based hash (bcrypt's expensive key
 * schedule, keyed by the hashed passphrase and salt, then 64 encryptions of a fixed text). The JDK
 * has Blowfish but not that key schedule, so the cipher is here; its initial state is the
 * fractional hex digits of pi, which {@link #PI_WORDS} computes once instead of listing them.
 */
final class BcryptPbkdf {
  private static final int HASH = 32;
  private static final byte[] TEXT =
      "OxychromaticBlowfishSwatDynamite".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  /** Blowfish's P-array (18 words) then its four S-boxes (256 each): pi's hex digits after 3. */
  private static final int[] PI_WORDS = piWords(18 + 4 * 256);

  private final int[] p = new int[18];
  private final int[] s = new int[4 * 256];

  private BcryptPbkdf() {}

  /** {@code length} bytes of key from {@code passphrase} and {@code salt}, over {@code rounds}. */
  static byte[] derive(byte[] passphrase, byte[] salt, int rounds, int length)
      throws GeneralSecurityException {
    if (rounds < 1 || passphrase.length == 0 || salt.length == 0 || length < 1 || length > 1024) {
      throw new GeneralSecurityException("bcrypt_pbkdf parameters out of range");
    }
    MessageDigest sha = MessageDigest.getInstance("SHA-512");
    byte[] key = new byte[length];
    int stride = (length + HASH - 1) / HASH;
    int amount = (length + stride - 1) / stride;
    byte[] shaPass = sha.digest(passphrase);
    byte[] countSalt = java.util.Arrays.copyOf(salt, salt.length + 4);
    int left = length;
    for (int count = 1; left > 0; count++) {
      countSalt[salt.length] = (byte) (count >>> 24);
      countSalt[salt.length + 1] = (byte) (count >>> 16);
      countSalt[salt.length + 2] = (byte) (count >>> 8);
      countSalt[salt.length + 3] = (byte) count;
      byte[] tmp = hash(shaPass, sha.digest(countSalt));
      byte[] out = tmp.clone();
      for (int r = 1; r < rounds; r++) {
        tmp = hash(shaPass, sha.digest(tmp));
        for (int j = 0; j < HASH; j++) {
          out[j] ^= tmp[j];
        }
      }
      // not PBKDF2's order: each block's bytes are spread over the key at the stride
      amount = Math.min(amount, left);
      int i = 0;
      for (; i < amount; i++) {
        int dest = i * stride + (count - 1);
        if (dest >= length) {
          break;
        }
        key[dest] = out[i];
      }
      left -= i;
    }
    return key;
  }

  /** bcrypt_hash: the expensive key schedule, then 64 encryptions of {@link #TEXT}. */
  private static byte[] hash(byte[] shaPass, byte[] shaSalt) {
    BcryptPbkdf b = new BcryptPbkdf();
    System.arraycopy(PI_WORDS, 0, b.p, 0, 18);
    System.arraycopy(PI_WORDS, 18, b.s, 0, 1024);
    b.expand(shaSalt, shaPass);
    for (int i = 0; i < 64; i++) {
      b.expand(null, shaSalt);
      b.expand(null, shaPass);
    }
    int[] data = new int[HASH / 4];
    int[] at = {0};
    for (int i = 0; i < data.length; i++) {
      data[i] = word(TEXT, at);
    }
    int[] lr = new int[2];
    for (int i = 0; i < 64; i++) {
      for (int j = 0; j < data.length; j += 2) {
        lr[0] = data[j];
        lr[1] = data[j + 1];
        b.encipher(lr);
        data[j] = lr[0];
        data[j + 1] = lr[1];
      }
    }
    byte[] out = new byte[HASH];
    for (int i = 0; i < data.length; i++) { // little-endian words, as OpenBSD writes them
      out[4 * i] = (byte) data[i];
      out[4 * i + 1] = (byte) (data[i] >>> 8);
      out[4 * i + 2] = (byte) (data[i] >>> 16);
      out[4 * i + 3] = (byte) (data[i] >>> 24);
    }
    return out;
  }

  /**
   * Blowfish_expandstate with {@code data}, Blowfish_expand0state without it: the key into the
   * P-array, then P and S rewritten by enciphering (data mixed in, when given).
   */
  private void expand(byte[] data, byte[] key) {
    int[] at = {0};
    for (int i = 0; i < 18; i++) {
      p[i] ^= word(key, at);
    }
    int[] lr = new int[2];
    int[] d = {0};
    for (int i = 0; i < 18; i += 2) {
      mix(data, d, lr);
      p[i] = lr[0];
      p[i + 1] = lr[1];
    }
    for (int i = 0; i < s.length; i += 2) {
      mix(data, d, lr);
      s[i] = lr[0];
      s[i + 1] = lr[1];
    }
  }

  private void mix(byte[] data, int[] at, int[] lr) {
    if (data != null) {
      lr[0] ^= word(data, at);
      lr[1] ^= word(data, at);
    }
    encipher(lr);
  }

  private void encipher(int[] lr) {
    int l = lr[0] ^ p[0];
    int r = lr[1];
    for (int i = 1; i <= 16; i += 2) {
      r ^= f(l) ^ p[i];
      l ^= f(r) ^ p[i + 1];
    }
    lr[0] = r ^ p[17];
    lr[1] = l;
  }

  private int f(int x) {
    return ((s[x >>> 24] + s[256 + ((x >>> 16) & 0xff)]) ^ s[512 + ((x >>> 8) & 0xff)])
        + s[768 + (x & 0xff)];
  }

  /** Four bytes big-endian from {@code data}, wrapping around its end (Blowfish_stream2word). */
  private static int word(byte[] data, int[] at) {
    int w = 0;
    int j = at[0];
    for (int i = 0; i < 4; i++, j++) {
      if (j >= data.length) {
        j = 0;
      }
      w = (w << 8) | (data[j] & 0xff);
    }
    at[0] = j;
    return w;
  }

  /**
   * The first {@code n} 32-bit words of pi's fractional part in hex, by Machin's formula (pi = 16
   * atan(1/5) - 4 atan(1/239)) in fixed point with 64 guard bits: a few milliseconds, once.
   */
  static int[] piWords(int n) {
    int bits = 32 * n + 64;
    BigInteger one = BigInteger.ONE.shiftLeft(bits);
    BigInteger pi = atanInverse(5, one).shiftLeft(4).subtract(atanInverse(239, one).shiftLeft(2));
    BigInteger fraction = pi.subtract(BigInteger.valueOf(3).shiftLeft(bits)).shiftRight(64);
    int[] words = new int[n];
    for (int i = 0; i < n; i++) {
      words[i] = fraction.shiftRight(32 * (n - 1 - i)).intValue();
    }
    return words;
  }

  /** atan(1/x) scaled by {@code one}: the alternating series of 1/((2k+1) x^(2k+1)). */
  private static BigInteger atanInverse(int x, BigInteger one) {
    BigInteger xx = BigInteger.valueOf((long) x * x);
    BigInteger power = one.divide(BigInteger.valueOf(x));
    BigInteger sum = power;
    for (int k = 1; power.signum() != 0; k++) {
      power = power.divide(xx);
      BigInteger term = power.divide(BigInteger.valueOf(2L * k + 1));
      sum = (k & 1) == 1 ? sum.subtract(term) : sum.add(term);
    }
    return sum;
  }
}
