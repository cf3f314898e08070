package dev.turnout.rules;

import dev.turnout.rules.Addresses.Prefix;
import java.util.Arrays;

/**
 * CIDR patterns in two binary prefix tries (IPv4, IPv6). A lookup walks at most 32 or 128 nodes,
 * whatever the number of prefixes, and returns the smallest key among the prefixes containing the
 * address whose rule order is at least a floor (see {@link Ctx#ipFloor}); each node keeps its keys
 * sorted for that. Immutable after {@link #freeze}.
 */
final class CidrIndex {
  private final Trie v4 = new Trie();
  private final Trie v6 = new Trie();
  private int size;

  void add(Prefix p, long key) {
    (p.ip().v6 ? v6 : v4).add(p, key);
    size++;
  }

  int size() {
    return size;
  }

  CidrIndex freeze() {
    v4.freeze();
    v6.freeze();
    return this;
  }

  long lookup(Ip ip, int floorOrder) {
    if (ip == null || size == 0) {
      return Compiled.NONE;
    }
    return (ip.v6 ? v6 : v4).lookup(ip, (long) floorOrder << 32);
  }

  private static final class Trie {
    private int[] children = new int[2]; // node n: children[2n], children[2n+1]; 0 = none
    private long[][] keys = new long[1][];
    private int nodes = 1;

    void add(Prefix p, long key) {
      int n = 0;
      for (int i = 0; i < p.length(); i++) {
        int slot = 2 * n + p.ip().bit(i);
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
    }

    void freeze() {
      for (long[] k : keys) {
        if (k != null) {
          Arrays.sort(k);
        }
      }
    }

    long lookup(Ip ip, long floorKey) {
      long best = Compiled.NONE;
      int n = 0;
      int bits = ip.bits();
      for (int i = 0; ; i++) {
        long[] k = keys[n];
        if (k != null) {
          best = Math.min(best, atLeast(k, floorKey));
        }
        if (i == bits || (n = children[2 * n + ip.bit(i)]) == 0) {
          return best;
        }
      }
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
