package dev.turnout.rules;

import dev.turnout.rules.Matchers.DomainMode;
import java.util.Arrays;

/**
 * Exact and suffix domain patterns in one hash table keyed by a 64-bit hash of the domain.
 *
 * <p>A lookup walks the host once from right to left; the hash of the suffix that starts at each
 * label boundary is extended character by character (the hash is defined right to left for that
 * reason), so each suffix is probed without building a substring or allocating: cost is one probe
 * per label, whatever the number of patterns. Each pattern holds one {@link Compiled} key per
 * {@link DomainMode} it is written in; a lookup returns the smallest key that matches.
 *
 * <p>Layout. With 100,000s of patterns the table takes megabytes, more than a core's own cache, and
 * an uncached read costs ten to twenty times a cached one. A decision's cost is then mostly how
 * many such reads it makes and whether each has to wait for the one before; and the fewer cache
 * lines each decision touches, the more of them (and of the connections') stay cached. Most probes
 * miss ({@code com}, {@code www.example.com} when only {@code example.com} is listed), and a hit
 * reads the table once:
 *
 * <ul>
 *   <li>a blocked Bloom filter, one 64-bit word per hash with {@value #BLOOM_BITS} bits set, about
 *       ten bits per pattern (128 KiB for 100,000): a probe that misses usually stops here;
 *   <li>the slots, {@value #SLOT} longs each, at most two thirds of them used, searched by linear
 *       probing from the hash's own. A slot holds the name's length, its modes, and the key of its
 *       first mode; a name of up to {@value #INLINE_CHARS} characters in one mode (most names) is
 *       held inline, its ASCII characters packed into the slot's first three longs, so that a hit
 *       reads one slot (one or two adjacent cache lines) and nothing else of the index. Any other
 *       name has the upper 32 bits of its hash there and the offset of its record: a header, the
 *       keys of its modes, then its characters packed eight to a long, in a separate {@code
 *       long[]}. (Buckets pointing into records for every name, as this index had before, read one
 *       more cache line per hit; but they held the answer's index, so that the answer was read
 *       beside the record, where now it is read after the slot: either way a hit is two dependent
 *       reads after the filter.)
 *   <li>on a hit the caller reads its answer (see {@link #freeze(Object[])}) by the key's lower
 *       bits; the index reads it first, as soon as it has the slot, so that the read overlaps the
 *       comparison of the name and the rest of the lookup.
 * </ul>
 *
 * Build with {@link #add}, then {@link #freeze}; immutable afterwards, and safe to share between
 * threads once published safely (as a final field or through a volatile).
 */
final class DomainIndex {
  private static final int MODES = DomainMode.values().length;
  private static final int BLOOM_BITS = 4;
  private static final long MULTIPLIER = 0x9E3779B97F4A7C15L; // odd: the hash is a polynomial
  private static final long FINGERPRINT = 0xFFFFFFFF00000000L; // of the hash, in a header
  private static final KeywordIndex NO_KEYWORDS = new KeywordIndex().freeze();
  private static final Object[] NO_ANSWERS = {null}; // never empty: a read needs no bounds check
  private static final int SLOT = 4; // longs per slot
  private static final int KEY = 3; // a slot's key (inline) or first key (not inline)
  private static final int INLINE_FROM = 2; // the first character's byte in a slot
  private static final int MODE_BITS = (1 << MODES) - 1; // a header's modes: from bit 8
  private static final long OVERFLOW = 1L << 15; // in a header: the name is in a record
  private static final int INLINE_CHARS = 8 * KEY - INLINE_FROM; // 22: the header's 6, 16 more
  private static final int MAX_LENGTH = 255; // the record header holds the length in 8 bits

  // Added until freeze: pattern i is the lengths[i] (unsigned) bytes from froms[i] of its source,
  // in mode modesAdded[i] with key keysAdded[i]. Patterns added in a row from one array of bytes
  // form a run that refers to it: run r starts at pattern runStarts[r], its source sources[r], or
  // chars (names added as strings, copied in) if null. No object and no copy per pattern.
  private byte[] chars = new byte[256];
  private int charCount;
  private int[] froms = new int[16];
  private byte[] lengths = new byte[16];
  private byte[][] sources = new byte[4][];
  private int[] runStarts = new int[4];
  private int runs;
  private byte[] modesAdded = new byte[16];
  private long[] keysAdded = new long[16];
  private int added;
  private boolean frozen;
  private long[] filter = {0}; // one empty word: lookups before freeze miss
  private int filterMask;
  // Slot s: slots[SLOT * s..SLOT * (s + 1)), all zero if free (see the class comment).
  private long[] slots = new long[SLOT];
  private int capacity = 1;
  private long[] records = new long[0]; // the patterns that do not fit in their slot
  private Object[] answers = NO_ANSWERS;
  private int size;

  /**
   * Adds {@code domain} in {@code mode} with {@code key}.
   *
   * @throws IllegalArgumentException if it is not ASCII of 1 to 255 characters
   */
  void add(String domain, DomainMode mode, long key) {
    int n = domain.length();
    if (n == 0 || n > MAX_LENGTH || !RuleParser.isAscii(domain)) {
      throw new IllegalArgumentException("not an ASCII domain of 1 to 255 characters");
    }
    room(null);
    if (charCount + n > chars.length) {
      chars = Arrays.copyOf(chars, Math.max(charCount + n, chars.length * 2));
    }
    for (int i = 0; i < n; i++) {
      chars[charCount + i] = (byte) domain.charAt(i);
    }
    added(charCount, n, mode, key);
    charCount += n;
  }

  /**
   * Adds the domain written in ASCII bytes {@code src[from..to)}, in {@code mode} with {@code key}.
   * The index reads them until {@link #freeze}: they must not change before.
   *
   * @throws IllegalArgumentException if it is not ASCII of 1 to 255 characters
   */
  void add(byte[] src, int from, int to, DomainMode mode, long key) {
    int n = to - from;
    if (n <= 0 || n > MAX_LENGTH) {
      throw new IllegalArgumentException("not an ASCII domain of 1 to 255 characters");
    }
    for (int i = from; i < to; i++) {
      if (src[i] < 0) {
        throw new IllegalArgumentException("not an ASCII domain of 1 to 255 characters");
      }
    }
    room(src);
    added(from, n, mode, key);
  }

  /** Makes room for one more pattern from {@code source} (null: chars), starting a run if new. */
  private void room(byte[] source) {
    if (frozen) {
      throw new IllegalStateException("frozen");
    }
    if (added == froms.length) {
      grow(added * 2);
    }
    if (runs == 0 || sources[runs - 1] != source) {
      if (runs == runStarts.length) {
        runStarts = Arrays.copyOf(runStarts, runs * 2);
        sources = Arrays.copyOf(sources, runs * 2);
      }
      runStarts[runs] = added;
      sources[runs++] = source;
    }
  }

  private void added(int from, int length, DomainMode mode, long key) {
    froms[added] = from;
    lengths[added] = (byte) length;
    modesAdded[added] = (byte) mode.ordinal();
    keysAdded[added++] = key;
  }

  private void grow(int n) {
    froms = Arrays.copyOf(froms, n);
    lengths = Arrays.copyOf(lengths, n);
    modesAdded = Arrays.copyOf(modesAdded, n);
    keysAdded = Arrays.copyOf(keysAdded, n);
  }

  /** Makes room for {@code n} patterns in all, so that adding them does not grow the arrays. */
  void expect(int n) {
    if (!frozen && n > froms.length) {
      grow(n);
    }
  }

  /** The number of distinct patterns (before {@link #freeze}: of patterns added). */
  int size() {
    return frozen ? size : added;
  }

  DomainIndex freeze() {
    return freeze(null);
  }

  /**
   * Builds the table. {@code answers}, if not null, holds what the caller looks up by a key's lower
   * 32 bits after a lookup (its decisions); a hit reads that entry as soon as it has the key, so
   * that it is cached by the time the caller reads it.
   */
  DomainIndex freeze(Object[] answers) {
    if (frozen) {
      throw new IllegalStateException("frozen");
    }
    this.answers = answers == null || answers.length == 0 ? NO_ANSWERS : answers;
    Distinct d = distinct();
    size = d.count;
    int words = Integer.highestOneBit(Math.max(1, size * 10 / 64 * 2 - 1)); // >= 10 bits each
    filter = new long[Math.max(1, words)];
    filterMask = filter.length - 1;
    capacity = size + size / 2 + 1; // at most 2/3 full: a hit reads about two slots
    slots = new long[SLOT * capacity];
    long[] keys = new long[MODES]; // one pattern's smallest key per mode
    int overflow = 0;
    for (int p = 0; p < size; p++) {
      int modes = modes(d, p);
      if (!inline(length(d.first[p]), modes)) {
        overflow += recordLength(length(d.first[p]), modes);
      }
    }
    records = new long[overflow];
    int r = 0;
    for (int p = 0; p < size; p++) {
      long m = d.hashes[p];
      filter[(int) (m >>> 20) & filterMask] |= bloomBits(m);
      keys(d, p, keys);
      int s = slot(m);
      while (slots[SLOT * s] != 0) {
        s = s + 1 == capacity ? 0 : s + 1;
      }
      r = writeSlot(SLOT * s, d.first[p], keys, m, r);
    }
    chars = null;
    froms = null;
    lengths = null;
    sources = null;
    runStarts = null;
    modesAdded = null;
    keysAdded = null;
    frozen = true;
    return this;
  }

  /**
   * The added patterns without repeats: distinct pattern p has mixed hash hashes[p] and was first
   * added as pattern first[p]; the patterns added with the same name follow it in the chain through
   * repeats (each its next one's index, -1 at the end).
   */
  private record Distinct(int count, long[] hashes, int[] first, int[] repeats) {}

  /** Merges repeated names through an open-addressing table of their hashes. */
  private Distinct distinct() {
    int capacity = Integer.highestOneBit(Math.max(1, 2 * added - 1)); // a power of two >= added
    int[] slots = new int[added > capacity * 3 / 4 ? 2 * capacity : capacity]; // p + 1; 0: free
    int mask = slots.length - 1;
    long[] hashes = new long[added];
    int[] first = new int[added];
    int[] repeats = new int[added];
    int n = 0;
    for (int i = 0; i < added; i++) {
      long m = hash(i);
      repeats[i] = -1;
      int slot = (int) (m >>> 32) & mask;
      while (true) {
        int p = slots[slot] - 1;
        if (p < 0) {
          slots[slot] = n + 1;
          hashes[n] = m;
          first[n++] = i;
          break;
        }
        if (hashes[p] == m && sameName(first[p], i)) {
          repeats[i] = repeats[first[p]]; // linked second: the chain's order does not matter
          repeats[first[p]] = i;
          break;
        }
        slot = (slot + 1) & mask;
      }
    }
    return new Distinct(n, hashes, first, repeats);
  }

  /** Distinct pattern {@code p}'s smallest key per mode, NONE for modes it is not written in. */
  private void keys(Distinct d, int p, long[] out) {
    Arrays.fill(out, Compiled.NONE);
    for (int i = d.first[p]; i >= 0; i = d.repeats[i]) {
      out[modesAdded[i]] = Math.min(out[modesAdded[i]], keysAdded[i]);
    }
  }

  /** The modes distinct pattern {@code p} is written in, a bit per mode. */
  private int modes(Distinct d, int p) {
    int modes = 0;
    for (int i = d.first[p]; i >= 0; i = d.repeats[i]) {
      modes |= 1 << modesAdded[i];
    }
    return modes;
  }

  /** The bytes that hold added pattern {@code i}'s name, from {@code froms[i]}. */
  private byte[] source(int i) {
    int r = Arrays.binarySearch(runStarts, 0, runs, i);
    byte[] s = sources[r >= 0 ? r : -r - 2];
    return s != null ? s : chars;
  }

  private int length(int i) {
    return lengths[i] & 0xff;
  }

  /** The mixed hash of added pattern {@code i}, as {@link #hash(CharSequence)} computes it. */
  private long hash(int i) {
    byte[] src = source(i);
    long h = 0;
    for (int j = froms[i] + length(i) - 1; j >= froms[i]; j--) {
      h = step(h, (char) src[j]);
    }
    return mix(h);
  }

  private boolean sameName(int a, int b) {
    return Arrays.equals(
        source(a), froms[a], froms[a] + length(a), source(b), froms[b], froms[b] + length(b));
  }

  /**
   * Writes the slot at {@code at} of the pattern added as {@code i}, with its smallest key per mode
   * {@code keys}, and if it does not fit inline, its record at {@code r}; returns the offset after
   * the records.
   */
  private int writeSlot(int at, int i, long[] keys, long m, int r) {
    int len = length(i);
    int modes = 0;
    long first = Compiled.NONE; // the key of the first mode present: read ahead on a hit
    for (int k = MODES - 1; k >= 0; k--) {
      if (keys[k] != Compiled.NONE) {
        modes |= 1 << k;
        first = keys[k];
      }
    }
    byte[] src = source(i);
    int from = froms[i];
    slots[at + KEY] = first;
    if (inline(len, modes)) {
      slots[at] = (long) modes << 8 | len;
      for (int j = 0; j < len; j++) {
        int b = j + INLINE_FROM;
        slots[at + b / 8] |= (long) src[from + j] << (8 * (b % 8));
      }
      return r;
    }
    slots[at] = (m & FINGERPRINT) | OVERFLOW | (long) modes << 8 | len;
    slots[at + 1] = r;
    records[r++] = (m & FINGERPRINT) | (long) modes << 8 | len;
    for (int k = 0; k < MODES; k++) {
      if (keys[k] != Compiled.NONE) {
        records[r++] = keys[k];
      }
    }
    for (int j = 0; j < len; j++) {
      records[r + j / 8] |= (long) src[from + j] << (8 * (j % 8));
    }
    return r + (len + 7) / 8;
  }

  /** Whether a pattern of {@code len} characters in {@code modes} is held in its slot alone. */
  private static boolean inline(int len, int modes) {
    return len <= INLINE_CHARS && Integer.bitCount(modes) == 1;
  }

  private static int recordLength(int chars, int modes) {
    return 1 + Integer.bitCount(modes) + (chars + 7) / 8;
  }

  /** The smallest key of a pattern matching {@code host}, or {@link Compiled#NONE}. */
  long lookup(String host) {
    return lookup(host, NO_KEYWORDS);
  }

  /**
   * The smallest key of a pattern matching {@code host} and of a keyword of {@code keywords}
   * contained in it, or {@link Compiled#NONE}. Both read the host once, from right to left, in the
   * same loop: the keyword automaton's chain of dependent loads, one per character, and the hash's
   * chain of multiplies are independent, so the CPU runs them side by side, and the probes' loads
   * between them.
   */
  long lookup(String host, KeywordIndex keywords) {
    int n = host.length();
    if (n == 0) {
      return Compiled.NONE;
    }
    long best = Compiled.NONE;
    long h = 0; // the hash of host[i + 1..]
    int row = KeywordIndex.START;
    for (int i = n - 1; i >= 0; i--) {
      char c = host.charAt(i);
      if (c == '.' && i + 1 < n) { // a label starts at i + 1 (an empty suffix is no pattern)
        best = Math.min(best, probe(host, i + 1, mix(h)));
      }
      h = step(h, c);
      row = keywords.step(row, c);
      if (row < 0) { // some keyword ends at i: rare
        row = ~row;
        best = Math.min(best, keywords.output(row));
      }
    }
    return Math.min(best, probe(host, 0, mix(h)));
  }

  /** The smallest key of the pattern equal to {@code host[from..]}, whose mixed hash is m. */
  private long probe(String host, int from, long m) {
    long bits = bloomBits(m);
    if ((filter[(int) (m >>> 20) & filterMask] & bits) != bits) {
      return Compiled.NONE;
    }
    int at = find(host, from, m);
    if (at < 0) {
      return Compiled.NONE;
    }
    int want; // the modes that match when the host is the pattern or ends in "." + pattern
    if (from == 0) {
      want = 1 << DomainMode.EXACT.ordinal() | 1 << DomainMode.SUFFIX.ordinal();
    } else {
      want = 1 << DomainMode.SUFFIX.ordinal() | 1 << DomainMode.SUBDOMAINS.ordinal();
      if (from == host.indexOf('.') + 1) { // *.x: x starts after the first label
        want |= 1 << DomainMode.ONE_LABEL.ordinal();
      }
    }
    long header = slots[at];
    if ((header & OVERFLOW) == 0) {
      return ((header >>> 8) & want) != 0 ? slots[at + KEY] : Compiled.NONE;
    }
    return keyOf((int) slots[at + 1], want);
  }

  /** The smallest key among the modes in {@code want} of the record at {@code r}. */
  private long keyOf(int r, int want) {
    int modes = (int) (records[r] >>> 8) & 0xff;
    int hit = modes & want;
    long best = Compiled.NONE;
    while (hit != 0) {
      int bit = hit & -hit;
      best = Math.min(best, records[r + 1 + Integer.bitCount(modes & (bit - 1))]);
      hit &= hit - 1;
    }
    return best;
  }

  /**
   * Offset in {@code slots} of the slot of the pattern equal to {@code host[from..]}, whose mixed
   * hash is m, or -1: the slots from m's own to the first free one.
   */
  private int find(String host, int from, long m) {
    int len = host.length() - from; // no match if longer than 255
    int s = slot(m);
    while (true) {
      int at = SLOT * s;
      long header = slots[at];
      int slotLen = (int) header & 0xff;
      if (slotLen == 0) {
        return -1;
      }
      if (slotLen == len) {
        // The slot's first key, read now: the answer a hit most likely wants is then on its way
        // while the name is compared. Java has no prefetch, and a load whose value is unused is
        // removed: the check keeps it.
        int answer = Math.min((int) slots[at + KEY] & Integer.MAX_VALUE, answers.length - 1);
        if (answers[answer] == this) {
          throw new AssertionError("an answer is never the index");
        }
        if (equal(host, from, at, header, m)) {
          return at;
        }
      }
      s = s + 1 == capacity ? 0 : s + 1;
    }
  }

  /** Whether the slot at {@code at}, whose header is given, holds host[from..] (of its length). */
  private boolean equal(String host, int from, int at, long header, long m) {
    int len = (int) header & 0xff;
    if ((header & OVERFLOW) == 0) {
      for (int j = 0; j < len; j++) {
        int b = j + INLINE_FROM;
        if (host.charAt(from + j) != ((slots[at + b / 8] >>> (8 * (b % 8))) & 0xff)) {
          return false;
        }
      }
      return true;
    }
    if ((header & FINGERPRINT) != (m & FINGERPRINT)) {
      return false;
    }
    int chars = (int) slots[at + 1] + 1 + Integer.bitCount((int) (header >>> 8) & MODE_BITS);
    for (int j = 0; j < len; j++) {
      if (host.charAt(from + j) != ((records[chars + j / 8] >>> (8 * (j % 8))) & 0xff)) {
        return false;
      }
    }
    return true;
  }

  /** The slot where the search for a pattern of mixed hash m starts. */
  private int slot(long m) {
    return (int) (((m & 0xFFFFFFFFL) * capacity) >>> 32);
  }

  /** The mixed hash of {@code d}, as {@link #lookup} computes it for a suffix equal to it. */
  static long hash(CharSequence d) {
    long h = 0;
    for (int i = d.length() - 1; i >= 0; i--) {
      h = step(h, d.charAt(i));
    }
    return mix(h);
  }

  private static long step(long h, char c) {
    return (h + c) * MULTIPLIER;
  }

  /** Murmur3's 64-bit finalizer: every bit of the result depends on every bit of the hash. */
  private static long mix(long h) {
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    return h ^ (h >>> 33);
  }

  /** {@value #BLOOM_BITS} bit positions, from hash bits disjoint from the word index's. */
  private static long bloomBits(long m) {
    return 1L << (m >>> 40) | 1L << (m >>> 46) | 1L << (m >>> 52) | 1L << (m >>> 58);
  }
}
