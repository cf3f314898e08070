package dev.turnout.rules;

import dev.turnout.rules.Addresses.Prefix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * CIDR patterns as sorted address ranges (IPv4, IPv6). A lookup is one binary search, whatever the
 * number of prefixes, and returns the smallest key among the prefixes containing the address whose
 * rule order is at least a floor (see {@link Ctx#ipFloor}).
 *
 * <p>Prefixes nest or are disjoint, so their starts and ends cut the address space into intervals
 * on which the set of containing prefixes is constant. {@link #freeze} computes each interval's two
 * answers — for floor 0 and for the one other floor lookups use, the order where a name-only
 * destination is resolved — through a binary prefix trie that is then dropped, and merges equal
 * neighbours. IPv6 starts are kept in sorted primitive arrays (sign-flipped for signed compares),
 * the answers interleaved in another: about 15 probes into 100s of KiB for 10,000s of prefixes,
 * instead of a chain of up to 32 (or 128) dependent trie nodes.
 *
 * <p>IPv4, the common case, goes further, because each probe into 100s of KiB may miss the cache
 * and waits for the one before: a jump table indexed by the address's top bits narrows the search
 * to an interval or two, and each interval's start and answers sit side by side, so that a lookup
 * reads one cached entry and one or two adjacent cache lines. Immutable after {@link #freeze}.
 */
final class CidrIndex {
  private Trie v4Trie = new Trie(false);
  private Trie v6Trie = new Trie(true);
  private int size;
  private int floorOrder;
  // Interval i: [3i] its start (address ^ MIN_VALUE; the first is address 0), [3i+1] the answer
  // for floor 0, [3i+2] the answer for floorOrder.
  private long[] v4 = {Integer.MIN_VALUE, Compiled.NONE, Compiled.NONE};
  private int v4Shift = 32; // an address's top 32 - v4Shift bits index v4Jump
  private int[] v4Jump = {0, 0};
  private long[] v6Hi = {Long.MIN_VALUE};
  private long[] v6Lo = {Long.MIN_VALUE};
  private long[] v6Answers = {Compiled.NONE, Compiled.NONE};

  void add(Prefix p, long key) {
    (p.ip().v6 ? v6Trie : v4Trie).add(p, key);
    size++;
  }

  int size() {
    return size;
  }

  /**
   * Builds the ranges. Lookups may then use floor 0 or {@code floorOrder} only (the order at which
   * the compiled rules resolve a name, or {@link Integer#MAX_VALUE} if they never do).
   */
  CidrIndex freeze(int floorOrder) {
    this.floorOrder = floorOrder;
    long floorKey = (long) floorOrder << 32;
    List<long[]> b4 = v4Trie.boundaries();
    v4 = new long[3 * b4.size()];
    long[] answers = new long[2];
    int n = 0;
    for (long[] b : b4) {
      v4Trie.lookup(0, b[1], floorKey, answers);
      long any = answers[0];
      long from = answers[1];
      if (n == 0 || any != v4[3 * n - 2] || from != v4[3 * n - 1]) {
        v4[3 * n] = (int) b[1] ^ Integer.MIN_VALUE;
        v4[3 * n + 1] = any;
        v4[3 * n + 2] = from;
        n++;
      }
    }
    v4 = Arrays.copyOf(v4, 3 * n);
    buildJump(n);
    List<long[]> b6 = v6Trie.boundaries();
    v6Hi = new long[b6.size()];
    v6Lo = new long[b6.size()];
    v6Answers = new long[2 * b6.size()];
    n = 0;
    for (long[] b : b6) {
      v6Trie.lookup(b[0], b[1], floorKey, answers);
      long any = answers[0];
      long from = answers[1];
      if (n == 0 || any != v6Answers[2 * n - 2] || from != v6Answers[2 * n - 1]) {
        v6Hi[n] = b[0] ^ Long.MIN_VALUE;
        v6Lo[n] = b[1] ^ Long.MIN_VALUE;
        v6Answers[2 * n] = any;
        v6Answers[2 * n + 1] = from;
        n++;
      }
    }
    v6Hi = Arrays.copyOf(v6Hi, n);
    v6Lo = Arrays.copyOf(v6Lo, n);
    v6Answers = Arrays.copyOf(v6Answers, 2 * n);
    v4Trie = null;
    v6Trie = null;
    return this;
  }

  /**
   * The smallest key of a prefix containing {@code ip} whose order is at least {@code floorOrder}.
   *
   * @throws IllegalArgumentException if {@code floorOrder} is neither 0 nor the frozen floor
   */
  long lookup(Ip ip, int floorOrder) {
    if (ip == null || size == 0) {
      return Compiled.NONE;
    }
    int which;
    if (floorOrder == 0) {
      which = 0;
    } else if (floorOrder == this.floorOrder) {
      which = 1;
    } else {
      throw new IllegalArgumentException("no answers prepared for floor " + floorOrder);
    }
    if (!ip.v6) {
      return v4[3 * v4Interval(ip.lo) + 1 + which];
    }
    return v6Answers[2 * v6Interval(ip.hi ^ Long.MIN_VALUE, ip.lo ^ Long.MIN_VALUE) + which];
  }

  /**
   * The jump table over {@code n} intervals: one to two entries per interval (at most 2^16), entry
   * {@code t} holding the interval that contains the first address whose top bits are {@code t}.
   * The interval of an address with those top bits lies between entries {@code t} and {@code t +
   * 1}, usually equal or adjacent.
   */
  private void buildJump(int n) {
    int bits = Math.min(16, 32 - Integer.numberOfLeadingZeros(n - 1));
    v4Shift = 32 - bits;
    v4Jump = new int[(1 << bits) + 1];
    for (long t = 0; t < 1 << bits; t++) {
      v4Jump[(int) t] = v4Interval((int) (t << v4Shift) ^ Integer.MIN_VALUE, 0, n - 1);
    }
    v4Jump[1 << bits] = n - 1;
  }

  /** Index of the interval containing {@code address} (IPv4, in the low 32 bits). */
  private int v4Interval(long address) {
    int t = (int) (address >>> v4Shift);
    return v4Interval((int) address ^ Integer.MIN_VALUE, v4Jump[t], v4Jump[t + 1]);
  }

  /** Index of the last start at or below {@code x} in [lo, hi], which must contain it. */
  private int v4Interval(int x, int lo, int hi) {
    long[] v = v4;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if ((int) v[3 * mid] <= x) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  private int v6Interval(long xHi, long xLo) {
    long[] his = v6Hi;
    long[] los = v6Lo;
    int lo = 0;
    int hi = his.length - 1;
    while (lo < hi) {
      int mid = (lo + hi + 1) >>> 1;
      if (his[mid] < xHi || (his[mid] == xHi && los[mid] <= xLo)) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  }

  /** Build-time only: a binary prefix trie whose nodes keep their keys sorted. */
  private static final class Trie {
    private final boolean v6;
    private final List<long[]> bounds = new ArrayList<>();
    private int[] children = new int[2]; // node n: children[2n], children[2n+1]; 0 = none
    private long[][] keys = new long[1][];
    private int nodes = 1;

    Trie(boolean v6) {
      this.v6 = v6;
      bounds.add(new long[] {0, 0});
    }

    void add(Prefix p, long key) {
      Ip ip = p.ip();
      int n = 0;
      for (int i = 0; i < p.length(); i++) {
        int slot = 2 * n + ip.bit(i);
        if (children[slot] == 0) {
          if (nodes == keys.length) {
            keys = Arrays.copyOf(keys, nodes * 2);
            children = Arrays.copyOf(children, nodes * 4);
          }
          children[slot] = nodes++;
        }
        n = children[slot];
      }
      long[] k = keys[n];
      keys[n] = k == null ? new long[] {key} : append(k, key);
      bounds.add(new long[] {ip.hi, ip.lo});
      long[] end = end(ip.hi, ip.lo, p.length());
      if (end != null) {
        bounds.add(end);
      }
    }

    /** The first address after the prefix, or null if it ends the address space. */
    private long[] end(long hi, long lo, int length) {
      int hostBits = (v6 ? 128 : 32) - length;
      long loMask = hostBits >= 64 ? -1L : (1L << hostBits) - 1;
      long hiMask = hostBits <= 64 ? 0 : hostBits == 128 ? -1L : (1L << (hostBits - 64)) - 1;
      long lastHi = hi | hiMask;
      long lastLo = lo | loMask;
      if (!v6) {
        return lastLo == 0xFFFFFFFFL ? null : new long[] {0, lastLo + 1};
      }
      if (lastLo != -1L) {
        return new long[] {lastHi, lastLo + 1};
      }
      return lastHi == -1L ? null : new long[] {lastHi + 1, 0};
    }

    /** Every interval start, sorted (unsigned), without duplicates. */
    List<long[]> boundaries() {
      for (long[] k : keys) {
        if (k != null) {
          Arrays.sort(k);
        }
      }
      Comparator<long[]> unsigned =
          (a, b) ->
              a[0] != b[0] ? Long.compareUnsigned(a[0], b[0]) : Long.compareUnsigned(a[1], b[1]);
      bounds.sort(unsigned);
      List<long[]> unique = new ArrayList<>(bounds.size());
      for (long[] b : bounds) {
        if (unique.isEmpty() || unsigned.compare(unique.get(unique.size() - 1), b) != 0) {
          unique.add(b);
        }
      }
      return unique;
    }

    /**
     * Sets {@code out[0]} to the smallest key of a prefix containing the address, {@code out[1]} to
     * the smallest one at least {@code floorKey}: one walk down for both.
     */
    void lookup(long hi, long lo, long floorKey, long[] out) {
      long any = Compiled.NONE;
      long from = Compiled.NONE;
      int n = 0;
      int bits = v6 ? 128 : 32;
      for (int i = 0; ; i++) {
        long[] k = keys[n];
        if (k != null) {
          any = Math.min(any, k[0]); // sorted
          from = Math.min(from, atLeast(k, floorKey));
        }
        if (i == bits || (n = children[2 * n + bit(hi, lo, i)]) == 0) {
          out[0] = any;
          out[1] = from;
          return;
        }
      }
    }

    private int bit(long hi, long lo, int i) {
      if (!v6) {
        return (int) (lo >>> (31 - i)) & 1;
      }
      return i < 64 ? (int) (hi >>> (63 - i)) & 1 : (int) (lo >>> (127 - i)) & 1;
    }

    private static long atLeast(long[] sorted, long floorKey) {
      if (sorted[0] >= floorKey) {
        return sorted[0];
      }
      int i = Arrays.binarySearch(sorted, floorKey);
      i = i >= 0 ? i : -i - 1;
      return i < sorted.length ? sorted[i] : Compiled.NONE;
    }

    private static long[] append(long[] a, long v) {
      long[] b = Arrays.copyOf(a, a.length + 1);
      b[a.length] = v;
      return b;
    }
  }
}
