package dev.turnout.rules;

import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

/**
 * A rule provider's entries, in list order, as an immutable {@link List} of {@link Rule}s, most of
 * them packed: a domain entry written as its matcher writes it ({@code +.a.com}, {@code
 * DOMAIN-SUFFIX,a.com}: nearly every entry of a real list) keeps only its domain's ASCII bytes in
 * one shared array, its mode, its entry number and its line, about 25 bytes instead of the 130 or
 * so of a {@link Rule}, its matcher and its string. {@link #get} makes such an entry's Rule when
 * asked (an equal one each time, not the same); every other entry is kept as its Rule.
 *
 * <p>The rules compiler reads the packed domains straight from the bytes ({@link #packed}, {@link
 * #mode}, {@link #names}, {@link #nameFrom}, {@link #nameTo}), so that a list of 100,000s of
 * domains costs no object per entry at any point after parsing. The bytes are kept in chunks of
 * {@value #CHUNK}, filled one after the other, so that they never grow by copying and waste at most
 * a name's length per chunk. Thread-safe once built.
 */
final class ProviderEntries extends AbstractList<Rule> implements RandomAccess {
  static final int CHUNK = 1 << 16;

  private static final DomainMode[] MODES = DomainMode.values();
  private static final byte NOT_PACKED = -1;

  private final Rule.Origin origin; // of every packed entry
  private final boolean classical; // the kind of list the packed entries are written in
  private final int size;
  private final byte[][] chunks; // chunk c holds the names of entries chunkStarts[c] onwards
  private final int[] chunkStarts;
  private final int[] ends; // entry i's name ends at ends[i] in its chunk, and starts where the
  // previous entry's ends (at 0 for the first entry of a chunk)
  private final byte[] modes; // a DomainMode's ordinal, or NOT_PACKED
  private final int[] numbers; // the entry's number in its list
  private final int[] lines; // its line, 0 if none
  private final int[] others; // the entries that are not packed, ascending ...
  private final Rule[] otherRules; // ... and their Rules

  private ProviderEntries(Builder b) {
    origin = b.origin;
    classical = b.classical;
    size = b.size;
    chunks = Arrays.copyOf(b.chunks, b.chunkCount);
    int last = b.chunkCount - 1;
    chunks[last] = trimmed(chunks[last], b.used);
    chunkStarts = Arrays.copyOf(b.chunkStarts, b.chunkCount);
    ends = trimmed(b.ends, size);
    modes = trimmed(b.modes, size);
    numbers = trimmed(b.numbers, size);
    lines = trimmed(b.lines, size);
    others = Arrays.copyOf(b.others, b.otherCount);
    otherRules = Arrays.copyOf(b.otherRules, b.otherCount);
  }

  // Arrays sized well (the builder was told the number of lines) are kept as they are: copying
  // them would allocate as much again, for at most an eighth less.
  private static byte[] trimmed(byte[] a, int n) {
    return a.length - n <= a.length / 8 ? a : Arrays.copyOf(a, n);
  }

  private static int[] trimmed(int[] a, int n) {
    return a.length - n <= a.length / 8 ? a : Arrays.copyOf(a, n);
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public Rule get(int i) {
    if (i < 0 || i >= size) {
      throw new IndexOutOfBoundsException(i);
    }
    if (modes[i] == NOT_PACKED) {
      return otherRules[Arrays.binarySearch(others, i)];
    }
    int from = nameFrom(i);
    String domain = new String(names(i), from, nameTo(i) - from, StandardCharsets.ISO_8859_1);
    Domain m = new Domain(domain, MODES[modes[i]]);
    return Rule.entry(m, classical, origin, numbers[i], lines[i]);
  }

  /** True if entry {@code i} is a packed domain; otherwise {@link #get} returns its Rule. */
  boolean packed(int i) {
    return modes[i] != NOT_PACKED;
  }

  /** A packed entry's mode. */
  DomainMode mode(int i) {
    return MODES[modes[i]];
  }

  /**
   * The bytes that hold packed entry {@code i}'s domain, from {@link #nameFrom} to {@link #nameTo}
   * (shared: not to be changed).
   */
  byte[] names(int i) {
    return chunks[chunk(i)];
  }

  int nameFrom(int i) {
    return i == chunkStarts[chunk(i)] ? 0 : ends[i - 1];
  }

  int nameTo(int i) {
    return ends[i];
  }

  private int chunk(int i) {
    int c = Arrays.binarySearch(chunkStarts, i);
    return c >= 0 ? c : -c - 2;
  }

  /** The entries that are not packed, in list order. */
  List<Rule> others() {
    return List.of(otherRules);
  }

  /** The number of entries that are packed. */
  int packedCount() {
    return size - otherRules.length;
  }

  /** Collects the entries of one list in order. Not thread-safe. */
  static final class Builder {
    private final Rule.Origin origin;
    private final boolean classical;
    private int size;
    private byte[][] chunks = new byte[4][];
    private int[] chunkStarts = new int[4];
    private int chunkCount;
    private int used; // of the last chunk
    private int[] ends;
    private byte[] modes;
    private int[] numbers;
    private int[] lines;
    private int otherCount;
    private int[] others = new int[8];
    private Rule[] otherRules = new Rule[8];

    /**
     * @param origin the origin of the entries that {@link #domain} packs
     * @param classical true for a classical list, false for a domain list
     * @param expected about how many entries will be added (0 if not known)
     */
    Builder(Rule.Origin origin, boolean classical, int expected) {
      this.origin = origin;
      this.classical = classical;
      int n = Math.max(16, expected);
      chunks[0] = new byte[(int) Math.min(CHUNK, 16L * n)]; // a small list needs no full chunk
      chunkCount = 1;
      ends = new int[n];
      modes = new byte[n];
      numbers = new int[n];
      lines = new int[n];
    }

    /**
     * Adds domain entry {@code number} on {@code line}, written as its matcher writes it in this
     * kind of list, from {@link #origin}: packed if {@code domain} is ASCII, as its Rule otherwise.
     */
    void domain(String domain, DomainMode mode, int number, int line) {
      int n = domain.length();
      if (!RuleParser.isAscii(domain) || n > CHUNK) {
        add(Rule.entry(new Domain(domain, mode), classical, origin, number, line));
        return;
      }
      byte[] chunk = room(n);
      for (int k = 0; k < n; k++) {
        chunk[used + k] = (byte) domain.charAt(k);
      }
      append(used += n, (byte) mode.ordinal(), number, line);
    }

    /**
     * Adds domain entry {@code number} on {@code line}, {@code b[from..to)} in ASCII, as {@link
     * #domain(String, DomainMode, int, int)} does.
     *
     * @throws IllegalArgumentException if the bytes are not ASCII
     */
    void domain(byte[] b, int from, int to, DomainMode mode, int number, int line) {
      int n = to - from;
      for (int i = from; i < to; i++) {
        if (b[i] < 0) {
          throw new IllegalArgumentException("not ASCII");
        }
      }
      if (n > CHUNK) {
        domain(new String(b, from, n, StandardCharsets.ISO_8859_1), mode, number, line);
        return;
      }
      System.arraycopy(b, from, room(n), used, n);
      append(used += n, (byte) mode.ordinal(), number, line);
    }

    /** The chunk with room for {@code n} more bytes: the last one, or a new one from this entry. */
    private byte[] room(int n) {
      byte[] last = chunks[chunkCount - 1];
      if (used + n <= last.length) {
        return last;
      }
      if (used == 0) { // the first, small chunk, still empty
        chunks[chunkCount - 1] = new byte[CHUNK];
        return chunks[chunkCount - 1];
      }
      if (chunkCount == chunks.length) {
        chunks = Arrays.copyOf(chunks, chunkCount * 2);
        chunkStarts = Arrays.copyOf(chunkStarts, chunkCount * 2);
      }
      chunks[chunkCount] = new byte[CHUNK];
      chunkStarts[chunkCount] = size;
      used = 0;
      return chunks[chunkCount++];
    }

    /** Adds an entry kept as its Rule. */
    void add(Rule r) {
      if (otherCount == others.length) {
        others = Arrays.copyOf(others, otherCount * 2);
        otherRules = Arrays.copyOf(otherRules, otherCount * 2);
      }
      others[otherCount] = size;
      otherRules[otherCount++] = r;
      append(used, NOT_PACKED, 0, 0);
    }

    Rule.Origin origin() {
      return origin;
    }

    private void append(int end, byte mode, int number, int line) {
      if (size == ends.length) {
        int n = (int) Math.min(Integer.MAX_VALUE - 16, size * 3L / 2);
        ends = Arrays.copyOf(ends, n);
        modes = Arrays.copyOf(modes, n);
        numbers = Arrays.copyOf(numbers, n);
        lines = Arrays.copyOf(lines, n);
      }
      ends[size] = end;
      modes[size] = mode;
      numbers[size] = number;
      lines[size++] = line;
    }

    int size() {
      return size;
    }

    ProviderEntries build() {
      return new ProviderEntries(this);
    }
  }
}
