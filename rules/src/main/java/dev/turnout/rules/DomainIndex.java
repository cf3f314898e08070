package dev.turnout.rules;

import dev.turnout.rules.Matchers.DomainMode;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Exact and suffix domain patterns in one open-addressing hash table keyed by a 64-bit hash of the
 * domain.
 *
 * <p>A lookup walks the host once from right to left; the hash of the suffix that starts at each
 * label boundary is extended character by character (the hash is defined right to left for that
 * reason), so each suffix is probed without building a substring or allocating: cost is one probe
 * per label, whatever the number of patterns. Each pattern holds one {@link Compiled} key per
 * {@link DomainMode} it is written in; a lookup returns the smallest key that matches.
 *
 * <p>Layout, for few cache misses with 100,000s of patterns (most probes miss: {@code com}, {@code
 * www.example.com} when only {@code example.com} is listed):
 *
 * <ul>
 *   <li>a blocked Bloom filter, one 64-bit word per hash with {@value #BLOOM_BITS} bits set, about
 *       ten bits per pattern (128 KiB for 100,000): a probe that misses usually stops here, in a
 *       structure small enough to stay in cache;
 *   <li>the table, one long per slot: the hash's upper 32 bits and the record's offset + 1 (0 is an
 *       empty slot); load at most one half;
 *   <li>the records, one {@code long[]}: per pattern a header (length, and a bit per mode present),
 *       the keys of the modes present, then the ASCII characters packed eight to a long. A hit
 *       reads its keys and verifies the characters in one or two adjacent cache lines.
 * </ul>
 *
 * Build with {@link #add}, then {@link #freeze}; immutable afterwards.
 */
final class DomainIndex {
  private static final int MODES = DomainMode.values().length;
  private static final int BLOOM_BITS = 4;
  private static final long MULTIPLIER = 0x9E3779B97F4A7C15L; // odd: the hash is a polynomial

  private Map<String, long[]> pending = new HashMap<>();
  private long[] filter = {0}; // one empty word: lookups before freeze miss
  private int filterMask;
  private long[] table = new long[1];
  private int mask;
  private long[] records = new long[0];
  private int size;

  void add(String domain, DomainMode mode, long key) {
    if (domain.isEmpty() || domain.length() > 255 || !domain.chars().allMatch(c -> c < 128)) {
      throw new IllegalArgumentException("not an ASCII domain of 1 to 255 characters");
    }
    long[] v = pending.computeIfAbsent(domain, d -> newValues());
    v[mode.ordinal()] = Math.min(v[mode.ordinal()], key);
  }

  int size() {
    return pending == null ? size : pending.size();
  }

  DomainIndex freeze() {
    size = pending.size();
    int cap = Integer.highestOneBit(Math.max(2, size * 2 - 1)) << 1; // load <= 1/2
    table = new long[cap];
    mask = cap - 1;
    int words = Integer.highestOneBit(Math.max(1, size * 10 / 64 * 2 - 1)); // >= 10 bits each
    filter = new long[Math.max(1, words)];
    filterMask = filter.length - 1;
    long[] out = new long[16];
    int used = 0;
    for (Map.Entry<String, long[]> e : pending.entrySet()) {
      String d = e.getKey();
      long[] keys = e.getValue();
      long m = hash(d);
      filter[(int) (m >>> 20) & filterMask] |= bloomBits(m);
      int slot = (int) m & mask;
      while (table[slot] != 0) {
        slot = (slot + 1) & mask;
      }
      table[slot] = (m & 0xFFFFFFFF00000000L) | (used + 1L);
      int modes = 0;
      for (int k = 0; k < MODES; k++) {
        if (keys[k] != Compiled.NONE) {
          modes |= 1 << k;
        }
      }
      int need = 1 + Integer.bitCount(modes) + (d.length() + 7) / 8;
      if (used + need > out.length) {
        out = Arrays.copyOf(out, Math.max(out.length * 2, used + need));
      }
      out[used++] = d.length() | (long) modes << 8;
      for (int k = 0; k < MODES; k++) {
        if (keys[k] != Compiled.NONE) {
          out[used++] = keys[k];
        }
      }
      for (int i = 0; i < d.length(); i++) {
        out[used + i / 8] |= (long) d.charAt(i) << (8 * (i % 8));
      }
      used += (d.length() + 7) / 8;
    }
    records = Arrays.copyOf(out, used);
    pending = null;
    return this;
  }

  /** The smallest key of a pattern matching {@code host}, or {@link Compiled#NONE}. */
  long lookup(String host) {
    long best = Compiled.NONE;
    int oneLabelStart = host.indexOf('.') + 1; // where a *.x pattern's x must start
    long h = 0;
    for (int i = host.length() - 1; i >= 0; i--) {
      h = step(h, host.charAt(i));
      if (i != 0 && host.charAt(i - 1) != '.') {
        continue;
      }
      long m = mix(h);
      long bits = bloomBits(m);
      if ((filter[(int) (m >>> 20) & filterMask] & bits) != bits) {
        continue;
      }
      int r = find(host, i, m);
      if (r < 0) {
        continue;
      }
      int want; // the modes that match when the host is the pattern or ends in "." + pattern
      if (i == 0) {
        want = 1 << DomainMode.EXACT.ordinal() | 1 << DomainMode.SUFFIX.ordinal();
      } else {
        want = 1 << DomainMode.SUFFIX.ordinal() | 1 << DomainMode.SUBDOMAINS.ordinal();
        if (i == oneLabelStart) {
          want |= 1 << DomainMode.ONE_LABEL.ordinal();
        }
      }
      best = Math.min(best, keyOf(r, want));
    }
    return best;
  }

  /** The smallest key among the modes in {@code want} of the record at {@code r}. */
  private long keyOf(int r, int want) {
    int modes = (int) (records[r] >>> 8);
    int hit = modes & want;
    long best = Compiled.NONE;
    while (hit != 0) {
      int bit = hit & -hit;
      best = Math.min(best, records[r + 1 + Integer.bitCount(modes & (bit - 1))]);
      hit &= hit - 1;
    }
    return best;
  }

  /** Offset in {@link #records} of the pattern equal to {@code host[from..]}, or -1. */
  private int find(String host, int from, long m) {
    long fingerprint = m & 0xFFFFFFFF00000000L;
    int slot = (int) m & mask;
    long s;
    while ((s = table[slot]) != 0) {
      if ((s & 0xFFFFFFFF00000000L) == fingerprint) {
        int r = (int) s - 1;
        if (equal(host, from, r)) {
          return r;
        }
      }
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  private boolean equal(String host, int from, int r) {
    long header = records[r];
    int len = (int) header & 0xff;
    if (len != host.length() - from) {
      return false;
    }
    int chars = r + 1 + Integer.bitCount((int) (header >>> 8));
    for (int j = 0; j < len; j++) {
      if (host.charAt(from + j) != ((records[chars + j / 8] >>> (8 * (j % 8))) & 0xff)) {
        return false;
      }
    }
    return true;
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

  private static long[] newValues() {
    long[] v = new long[MODES];
    Arrays.fill(v, Compiled.NONE);
    return v;
  }
}
