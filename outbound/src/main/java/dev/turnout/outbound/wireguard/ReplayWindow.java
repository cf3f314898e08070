package dev.turnout.outbound.wireguard;

/**
 * The receive counters already seen on one keypair (paper section 5.4.6, RFC 6479's bitmap): a
 * counter is accepted once, and only if it is above the highest seen or within {@link #SIZE} below
 * it. {@link #fresh} checks before the costly decryption; {@link #accept} marks after it
 * authenticated. Not thread-safe.
 */
final class ReplayWindow {
  static final int SIZE = 2048;
  private static final int WORDS = SIZE / 64;

  /** Counters at and above 2^60 are never accepted (past REJECT_AFTER_MESSAGES anyway). */
  static final long LIMIT = 1L << 60;

  private final long[] bits = new long[WORDS];
  private long highest = -1;

  boolean fresh(long counter) {
    if (counter < 0 || counter >= LIMIT) {
      return false;
    }
    if (counter > highest) {
      return true;
    }
    return highest - counter < SIZE && (bits[word(counter)] & bit(counter)) == 0;
  }

  /** Marks {@code counter} seen; false (changing nothing) when it was not fresh. */
  boolean accept(long counter) {
    if (!fresh(counter)) {
      return false;
    }
    if (counter > highest) {
      long steps = counter - highest;
      if (steps >= SIZE) {
        java.util.Arrays.fill(bits, 0);
      } else {
        for (long c = highest + 1; c <= counter; c++) {
          bits[word(c)] &= ~bit(c);
        }
      }
      highest = counter;
    }
    bits[word(counter)] |= bit(counter);
    return true;
  }

  private static int word(long counter) {
    return (int) ((counter >>> 6) & (WORDS - 1));
  }

  private static long bit(long counter) {
    return 1L << (counter & 63);
  }
}
