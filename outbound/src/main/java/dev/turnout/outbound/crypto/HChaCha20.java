package dev.turnout.outbound.crypto;

/**
 * HChaCha20 (draft-irtf-cfrg-xchacha): the ChaCha20 block function without the final addition,
 * which turns a 32-byte key and the first 16 bytes of an XChaCha20 nonce into the subkey that
 * ChaCha20-Poly1305 then uses. The JDK has ChaCha20 but not this. Stateless.
 */
public final class HChaCha20 {
  private HChaCha20() {}

  public static byte[] subkey(byte[] key, byte[] nonce16) {
    int[] s = new int[16];
    s[0] = 0x61707865;
    s[1] = 0x3320646e;
    s[2] = 0x79622d32;
    s[3] = 0x6b206574;
    for (int i = 0; i < 8; i++) {
      s[4 + i] = le(key, 4 * i);
    }
    for (int i = 0; i < 4; i++) {
      s[12 + i] = le(nonce16, 4 * i);
    }
    for (int round = 0; round < 10; round++) {
      quarter(s, 0, 4, 8, 12);
      quarter(s, 1, 5, 9, 13);
      quarter(s, 2, 6, 10, 14);
      quarter(s, 3, 7, 11, 15);
      quarter(s, 0, 5, 10, 15);
      quarter(s, 1, 6, 11, 12);
      quarter(s, 2, 7, 8, 13);
      quarter(s, 3, 4, 9, 14);
    }
    byte[] out = new byte[32];
    int[] take = {0, 1, 2, 3, 12, 13, 14, 15};
    for (int i = 0; i < 8; i++) {
      int w = s[take[i]];
      out[4 * i] = (byte) w;
      out[4 * i + 1] = (byte) (w >>> 8);
      out[4 * i + 2] = (byte) (w >>> 16);
      out[4 * i + 3] = (byte) (w >>> 24);
    }
    return out;
  }

  private static void quarter(int[] s, int a, int b, int c, int d) {
    s[a] += s[b];
    s[d] = Integer.rotateLeft(s[d] ^ s[a], 16);
    s[c] += s[d];
    s[b] = Integer.rotateLeft(s[b] ^ s[c], 12);
    s[a] += s[b];
    s[d] = Integer.rotateLeft(s[d] ^ s[a], 8);
    s[c] += s[d];
    s[b] = Integer.rotateLeft(s[b] ^ s[c], 7);
  }

  private static int le(byte[] b, int at) {
    return (b[at] & 0xff)
        | (b[at + 1] & 0xff) << 8
        | (b[at + 2] & 0xff) << 16
        | (b[at + 3] & 0xff) << 24;
  }
}
