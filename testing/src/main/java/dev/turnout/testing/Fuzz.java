package dev.turnout.testing;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded fuzzing loops for plain JUnit tests: how many inputs to run, a seeded random, and
 * mutations of valid inputs. A test runs its CI slice unless {@code -Dturnout.fuzz.iterations=N}
 * asks for more ({@code bench/fuzz.sh} asks for 1,000,000); {@code -Dturnout.fuzz.seed=S} replays
 * another seed. Failures name the seed and the input's number, so they reproduce. Stateless.
 */
public final class Fuzz {
  /** System property: inputs per fuzz test, instead of each test's CI slice. */
  public static final String ITERATIONS = "turnout.fuzz.iterations";

  /** System property: the seed, instead of each test's own. */
  public static final String SEED = "turnout.fuzz.seed";

  private Fuzz() {}

  /** The inputs to run: {@code ciSlice}, or what {@value #ITERATIONS} asks for. */
  public static int iterations(int ciSlice) {
    String asked = System.getProperty(ITERATIONS);
    return asked == null || asked.isBlank() ? ciSlice : Integer.parseInt(asked.strip());
  }

  /** The seed to use: {@code own}, or what {@value #SEED} asks for. */
  public static long seed(long own) {
    String asked = System.getProperty(SEED);
    return asked == null || asked.isBlank() ? own : Long.decode(asked.strip());
  }

  /** A random seeded by {@link #seed}. */
  public static SplittableRandom random(long own) {
    return new SplittableRandom(seed(own));
  }

  /** Where a failing input came from, for assertion messages. */
  public static String where(long own, int input) {
    return "seed " + seed(own) + ", input " + input;
  }

  /** {@code length} random bytes. */
  public static byte[] bytes(SplittableRandom random, int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    return b;
  }

  /**
   * A mutation of {@code valid}: one to four edits, each flipping bits, setting a byte to an
   * interesting value (0, 0xff, 0x7f, 0x80), inserting or deleting a run, duplicating a slice, or
   * truncating. The input is not changed.
   */
  public static byte[] mutate(byte[] valid, SplittableRandom random) {
    byte[] b = valid.clone();
    int edits = 1 + random.nextInt(4);
    for (int e = 0; e < edits; e++) {
      if (b.length == 0) {
        b = bytes(random, 1 + random.nextInt(8));
        continue;
      }
      int at = random.nextInt(b.length);
      switch (random.nextInt(7)) {
        case 0 -> b[at] ^= (byte) (1 << random.nextInt(8));
        case 1 -> b[at] = (byte) new int[] {0, 0xff, 0x7f, 0x80}[random.nextInt(4)];
        case 2 -> b[at] = (byte) random.nextInt(256);
        case 3 -> b = insert(b, at, bytes(random, 1 + random.nextInt(16)));
        case 4 -> {
          int n = 1 + random.nextInt(Math.min(16, b.length - at));
          byte[] shorter = new byte[b.length - n];
          System.arraycopy(b, 0, shorter, 0, at);
          System.arraycopy(b, at + n, shorter, at, b.length - at - n);
          b = shorter;
        }
        case 5 -> {
          int n = 1 + random.nextInt(Math.min(32, b.length - at));
          b = insert(b, random.nextInt(b.length + 1), Arrays.copyOfRange(b, at, at + n));
        }
        default -> b = Arrays.copyOf(b, at);
      }
    }
    return b;
  }

  private static byte[] insert(byte[] into, int at, byte[] what) {
    byte[] out = new byte[into.length + what.length];
    System.arraycopy(into, 0, out, 0, at);
    System.arraycopy(what, 0, out, at, what.length);
    System.arraycopy(into, at, out, at + what.length, into.length - at);
    return out;
  }
}
