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
 * <p>Layout. With 100,000s of patterns the records take megabytes, several times a core's own
 * cache, and an uncached read costs ten to twenty times a cached one. A decision's cost is then
 * mostly how many such reads it makes and whether each has to wait for the one before; and the
 * fewer cache lines each decision touches, the more of them (and of the connections') stay cached.
 * Most probes miss ({@code com}, {@code www.example.com} when only {@code example.com} is listed),
 * and a hit reads the records once:
 *
 * <ul>
 *   <li>a blocked Bloom filter, one 64-bit word per hash with {@value #BLOOM_BITS} bits set, about
 *       ten bits per pattern (128 KiB for 100,000): a probe that misses usually stops here;
 *   <li>the buckets, one long per bucket and half to one pattern per bucket (1 MiB for 100,000), so
 *       that a hit's record is usually its bucket's only one: where the bucket's records start (the
 *       next bucket's start ends them), and the answer (see {@link #freeze(Object[])}) of its first
 *       record's smallest key. A probe that passes the filter reads that answer while the record is
 *       on its way, so that the caller's read of the answer, which otherwise waits for the record's
 *       key, usually finds it cached;
 *   <li>the records, one {@code long[]} in bucket order, so that a bucket's records are adjacent:
 *       per pattern a header (the hash's upper 32 bits, a bit per mode present, the length), the
 *       keys of the modes present, then the ASCII characters packed eight to a long. A hit reads
 *       the bucket's headers, its keys and the characters that verify it from one or two adjacent
 *       cache lines. (A table of fingerprints pointing into the records, as this index had before,
 *       costs one more uncached read per hit, on which the read of the record waits.)
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
  private static final long FINGERPRINT_AND_LENGTH = FINGERPRINT | 0xff;
  private static final KeywordIndex NO_KEYWORDS = new KeywordIndex().freeze();
  private static final Object NO_ANSWERS = new Object(); // the one answer without freeze(answers)
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
  // bucket b's records: records[(int) buckets[b]..(int) buckets[b + 1]); in the upper half of
  // buckets[b] the index in answers of its first record's smallest key
  private long[] buckets = {0, 0};
  private Object[] answers = {NO_ANSWERS};
  private int bucketMask;
  private long[] records = new long[0];
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
   * 32 bits after a lookup (its decisions); the index reads the one most likely wanted early, so
   * that it is cached by then.
   */
  DomainIndex freeze(Object[] answers) {
    if (frozen) {
      throw new IllegalStateException("frozen");
    }
    this.answers = answers == null ? new Object[] {NO_ANSWERS} : answers;
    Distinct d = distinct();
    size = d.count;
    int words = Integer.highestOneBit(Math.max(1, size * 10 / 64 * 2 - 1)); // >= 10 bits each
    filter = new long[Math.max(1, words)];
    filterMask = filter.length - 1;
    int count = 2 * Integer.highestOneBit(Math.max(1, size)); // 1/2 to 1 pattern per bucket
    bucketMask = count - 1;
    long[] keys = new long[MODES]; // one pattern's smallest key per mode
    // A counting sort in place: buckets[b + 1] counts bucket b's longs, then buckets[b] is where
    // bucket b starts, then (as each record is written there) where it ends, which is where
    // bucket b + 1 starts: shifted by one, the starts again.
    buckets = new long[count + 1];
    for (int p = 0; p < size; p++) {
      buckets[bucket(d.hashes[p]) + 1] += recordLength(length(d.first[p]), modes(d, p));
    }
    for (int b = 0; b < count; b++) {
      buckets[b + 1] += buckets[b];
    }
    records = new long[(int) buckets[count]];
    for (int p = 0; p < size; p++) {
      long m = d.hashes[p];
      int b = bucket(m);
      filter[(int) (m >>> 20) & filterMask] |= bloomBits(m);
      keys(d, p, keys);
      buckets[b] = write((int) buckets[b], d.first[p], keys, m);
    }
    for (int b = count - 1; b > 0; b--) {
      buckets[b] = buckets[b - 1];
    }
    buckets[0] = 0;
    for (int b = 0; b < count && answers != null; b++) {
      if (buckets[b] < buckets[b + 1]) { // the answer of the bucket's first record
        buckets[b] |= (long) (int) keyOf((int) buckets[b], -1) << 32;
      }
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
   * Writes the record of the pattern added as {@code i}, with its smallest key per mode {@code
   * keys}, at {@code r}; returns the offset after it.
   */
  private int write(int r, int i, long[] keys, long m) {
    int len = length(i);
    int modes = 0;
    for (int k = 0; k < MODES; k++) {
      if (keys[k] != Compiled.NONE) {
        modes |= 1 << k;
      }
    }
    records[r++] = (m & FINGERPRINT) | (long) modes << 8 | len;
    for (int k = 0; k < MODES; k++) {
      if (keys[k] != Compiled.NONE) {
        records[r++] = keys[k];
      }
    }
    byte[] src = source(i);
    int from = froms[i];
    for (int j = 0; j < len; j++) {
      records[r + j / 8] |= (long) src[from + j] << (8 * (j % 8));
    }
    return r + (len + 7) / 8;
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
    int b = bucket(m);
    long bucket = buckets[b];
    // Java has no prefetch, and a load whose value is unused is removed: the check keeps it.
    if (answers[(int) (bucket >>> 32)] == this) {
      throw new AssertionError("an answer is never the index");
    }
    int r = find(host, from, m, (int) bucket, (int) buckets[b + 1]);
    if (r < 0) {
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
    return keyOf(r, want);
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
   * Offset of the record equal to {@code host[from..]}, whose mixed hash is m, among its bucket's
   * records {@code r} to {@code end}, or -1.
   */
  private int find(String host, int from, long m, int r, int end) {
    long want = (m & FINGERPRINT) | (host.length() - from); // no match if longer than 255
    while (r < end) {
      long header = records[r];
      int modes = (int) (header >>> 8) & 0xff;
      int len = (int) header & 0xff;
      if ((header & FINGERPRINT_AND_LENGTH) == want
          && equal(host, from, r + 1 + Integer.bitCount(modes), len)) {
        return r;
      }
      r += recordLength(len, modes);
    }
    return -1;
  }

  /** Whether the {@code len} characters packed from {@code records[chars]} are host[from..]. */
  private boolean equal(String host, int from, int chars, int len) {
    for (int j = 0; j < len; j++) {
      if (host.charAt(from + j) != ((records[chars + j / 8] >>> (8 * (j % 8))) & 0xff)) {
        return false;
      }
    }
    return true;
  }

  private int bucket(long m) {
    return (int) m & bucketMask;
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
