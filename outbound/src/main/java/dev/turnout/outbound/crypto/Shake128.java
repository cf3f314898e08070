package dev.turnout.outbound.crypto;

/**
 * The SHAKE128 extendable-output function (FIPS 202) over one input, read as a stream of 16-bit
 * words: VMess masks its chunk lengths and draws its padding lengths from it. The JDK has no public
 * SHAKE, so this is Keccak-f[1600] written out. Not thread-safe: one per direction per connection.
 */
public final class Shake128 {
  private static final int RATE = 168;
  private static final long[] ROUND =
      new long[] {
        0x0000000000000001L, 0x0000000000008082L, 0x800000000000808aL, 0x8000000080008000L,
        0x000000000000808bL, 0x0000000080000001L, 0x8000000080008081L, 0x8000000000008009L,
        0x000000000000008aL, 0x0000000000000088L, 0x0000000080008009L, 0x000000008000000aL,
        0x000000008000808bL, 0x800000000000008bL, 0x8000000000008089L, 0x8000000000008003L,
        0x8000000000008002L, 0x8000000000000080L, 0x000000000000800aL, 0x800000008000000aL,
        0x8000000080008081L, 0x8000000000008080L, 0x0000000080000001L, 0x8000000080008008L
      };
  private static final int[] ROTATE = {
    0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14
  };

  private final long[] state = new long[25];
  private final byte[] out = new byte[RATE];
  private int position = RATE;

  public Shake128(byte[] input) {
    int at = 0;
    for (; input.length - at >= RATE; at += RATE) {
      absorb(input, at, RATE);
    }
    byte[] last = new byte[RATE];
    System.arraycopy(input, at, last, 0, input.length - at);
    last[input.length - at] ^= 0x1f;
    last[RATE - 1] ^= (byte) 0x80;
    absorb(last, 0, RATE);
  }

  private void absorb(byte[] b, int off, int len) {
    for (int i = 0; i < len / 8; i++) {
      long lane = 0;
      for (int j = 7; j >= 0; j--) {
        lane = lane << 8 | (b[off + 8 * i + j] & 0xff);
      }
      state[i] ^= lane;
    }
    permute(state);
  }

  /** The next byte of output. */
  public int nextByte() {
    if (position == RATE) {
      for (int i = 0; i < RATE / 8; i++) {
        for (int j = 0; j < 8; j++) {
          out[8 * i + j] = (byte) (state[i] >>> 8 * j);
        }
      }
      permute(state);
      position = 0;
    }
    return out[position++] & 0xff;
  }

  /** The next two bytes of output, big-endian. */
  public int nextUint16() {
    return nextByte() << 8 | nextByte();
  }

  static void permute(long[] a) {
    long[] b = new long[25];
    long[] c = new long[5];
    for (long rc : ROUND) {
      for (int x = 0; x < 5; x++) {
        c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
      }
      for (int x = 0; x < 5; x++) {
        long d = c[(x + 4) % 5] ^ Long.rotateLeft(c[(x + 1) % 5], 1);
        for (int y = 0; y < 25; y += 5) {
          a[y + x] ^= d;
        }
      }
      for (int x = 0; x < 5; x++) {
        for (int y = 0; y < 5; y++) {
          b[y + 5 * ((2 * x + 3 * y) % 5)] = Long.rotateLeft(a[x + 5 * y], ROTATE[x + 5 * y]);
        }
      }
      for (int x = 0; x < 5; x++) {
        for (int y = 0; y < 25; y += 5) {
          a[y + x] = b[y + x] ^ (~b[y + (x + 1) % 5] & b[y + (x + 2) % 5]);
        }
      }
      a[0] ^= rc;
    }
  }
}
