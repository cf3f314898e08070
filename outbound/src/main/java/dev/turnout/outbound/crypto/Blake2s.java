package dev.turnout.outbound.crypto;

import java.util.Arrays;

/**
 * BLAKE2s (RFC 7693): the hash of WireGuard's handshake, unkeyed or keyed (up to 32-byte keys),
 * with 1- to 32-byte digests. Streaming: {@link #update} any number of times, then {@link #digest}
 * once. Not thread-safe; one instance per computation. Written here because the JDK has no BLAKE2
 * and the handshake hashes only a few hundred bytes per session, so a plain implementation is fast
 * enough.
 */
public final class Blake2s {
  private static final int[] IV = {
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
    0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19
  };

  private static final byte[][] SIGMA = {
    {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
    {14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
    {11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
    {7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
    {9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
    {2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
    {12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
    {13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
    {6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
    {10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0}
  };

  private static final int BLOCK = 64;

  private final int[] h = new int[8];
  private final int[] v = new int[16];
  private final int[] m = new int[16];
  private final byte[] buffer = new byte[BLOCK];
  private final int outLength;
  private int buffered;
  private long counter;
  private boolean done;

  /** An unkeyed hash with a digest of {@code outLength} bytes (1 to 32). */
  public Blake2s(int outLength) {
    this(outLength, null);
  }

  /** A keyed hash (a MAC) when {@code key} is non-null and non-empty (at most 32 bytes). */
  public Blake2s(int outLength, byte[] key) {
    int keyLength = key == null ? 0 : key.length;
    if (outLength < 1 || outLength > 32 || keyLength > 32) {
      throw new IllegalArgumentException("BLAKE2s: bad digest or key length");
    }
    this.outLength = outLength;
    System.arraycopy(IV, 0, h, 0, 8);
    h[0] ^= 0x01010000 ^ (keyLength << 8) ^ outLength;
    if (keyLength > 0) {
      System.arraycopy(key, 0, buffer, 0, keyLength);
      buffered = BLOCK; // the key block is a full block of its own
    }
  }

  /** BLAKE2s-256 of the concatenation of {@code parts}. */
  public static byte[] hash(byte[]... parts) {
    Blake2s b = new Blake2s(32);
    for (byte[] p : parts) {
      b.update(p, 0, p.length);
    }
    return b.digest();
  }

  /** A keyed BLAKE2s of {@code outLength} bytes over {@code data}. */
  public static byte[] mac(byte[] key, int outLength, byte[] data, int offset, int length) {
    Blake2s b = new Blake2s(outLength, key);
    b.update(data, offset, length);
    return b.digest();
  }

  public Blake2s update(byte[] data, int offset, int length) {
    if (done) {
      throw new IllegalStateException("BLAKE2s: digest already taken");
    }
    while (length > 0) {
      if (buffered == BLOCK) {
        // Only compress a full buffer once more input follows: the last block is compressed
        // by digest() with the final flag.
        counter += BLOCK;
        compress(false);
        buffered = 0;
      }
      int n = Math.min(length, BLOCK - buffered);
      System.arraycopy(data, offset, buffer, buffered, n);
      buffered += n;
      offset += n;
      length -= n;
    }
    return this;
  }

  public byte[] digest() {
    if (done) {
      throw new IllegalStateException("BLAKE2s: digest already taken");
    }
    done = true;
    counter += buffered;
    Arrays.fill(buffer, buffered, BLOCK, (byte) 0);
    compress(true);
    byte[] out = new byte[outLength];
    for (int i = 0; i < outLength; i++) {
      out[i] = (byte) (h[i >> 2] >>> (8 * (i & 3)));
    }
    return out;
  }

  private void compress(boolean last) {
    for (int i = 0; i < 16; i++) {
      int j = i * 4;
      m[i] =
          (buffer[j] & 0xff)
              | (buffer[j + 1] & 0xff) << 8
              | (buffer[j + 2] & 0xff) << 16
              | (buffer[j + 3] & 0xff) << 24;
    }
    System.arraycopy(h, 0, v, 0, 8);
    System.arraycopy(IV, 0, v, 8, 8);
    v[12] ^= (int) counter;
    v[13] ^= (int) (counter >>> 32);
    if (last) {
      v[14] = ~v[14];
    }
    for (byte[] s : SIGMA) {
      g(0, 4, 8, 12, m[s[0]], m[s[1]]);
      g(1, 5, 9, 13, m[s[2]], m[s[3]]);
      g(2, 6, 10, 14, m[s[4]], m[s[5]]);
      g(3, 7, 11, 15, m[s[6]], m[s[7]]);
      g(0, 5, 10, 15, m[s[8]], m[s[9]]);
      g(1, 6, 11, 12, m[s[10]], m[s[11]]);
      g(2, 7, 8, 13, m[s[12]], m[s[13]]);
      g(3, 4, 9, 14, m[s[14]], m[s[15]]);
    }
    for (int i = 0; i < 8; i++) {
      h[i] ^= v[i] ^ v[i + 8];
    }
  }

  private void g(int a, int b, int c, int d, int x, int y) {
    v[a] += v[b] + x;
    v[d] = Integer.rotateRight(v[d] ^ v[a], 16);
    v[c] += v[d];
    v[b] = Integer.rotateRight(v[b] ^ v[c], 12);
    v[a] += v[b] + y;
    v[d] = Integer.rotateRight(v[d] ^ v[a], 8);
    v[c] += v[d];
    v[b] = Integer.rotateRight(v[b] ^ v[c], 7);
  }
}
