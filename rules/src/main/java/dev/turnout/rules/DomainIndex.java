package dev.turnout.rules;

import dev.turnout.rules.Matchers.DomainMode;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Exact and suffix domain patterns in one open-addressing hash table keyed by domain.
 *
 * <p>A lookup walks the host once from right to left; the hash of the suffix that starts at each
 * label boundary is extended character by character (the hash is defined right to left for that
 * reason), so each suffix is probed without building a substring: cost is one probe per label,
 * whatever the number of patterns. Each pattern holds one {@link Compiled} key per {@link
 * DomainMode}; a lookup returns the smallest key that matches.
 *
 * <p>Layout, for few cache misses with 100,000s of patterns: a slot is {@value #STRIDE} longs — the
 * hash and the pattern's offset in a byte arena, then its four keys — and the arena holds each
 * pattern as a length byte and its ASCII characters. A probe that misses reads one slot; a hit
 * reads the slot and the arena. Build with {@link #add}, then {@link #freeze}; immutable
 * afterwards.
 */
final class DomainIndex {
  private static final int MODES = DomainMode.values().length;
  private static final int STRIDE = 1 + MODES;

  private Map<String, long[]> pending = new HashMap<>();
  private long[] slots = new long[STRIDE]; // one empty slot: lookups before any add miss
  private byte[] arena = new byte[0];
  private int mask;
  private int size;

  void add(String domain, DomainMode mode, long key) {
    if (domain.length() > 255 || !domain.chars().allMatch(c -> c < 128)) {
      throw new IllegalArgumentException("not an ASCII domain of at most 255 characters");
    }
    long[] v = pending.computeIfAbsent(domain, d -> newValues());
    v[mode.ordinal()] = Math.min(v[mode.ordinal()], key);
  }

  int size() {
    return pending == null ? size : pending.size();
  }

  DomainIndex freeze() {
    size = pending.size();
    int cap = Integer.highestOneBit(Math.max(2, size * 2 - 1)) << 1;
    slots = new long[cap * STRIDE];
    mask = cap - 1;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write(0); // offset 0 means an empty slot
    for (Map.Entry<String, long[]> e : pending.entrySet()) {
      String d = e.getKey();
      int h = 0;
      for (int i = d.length() - 1; i >= 0; i--) {
        h = 31 * h + d.charAt(i);
      }
      int slot = spread(h) & mask;
      while (slots[slot * STRIDE] != 0) {
        slot = (slot + 1) & mask;
      }
      slots[slot * STRIDE] = (long) h << 32 | bytes.size();
      System.arraycopy(e.getValue(), 0, slots, slot * STRIDE + 1, MODES);
      bytes.write(d.length());
      for (int i = 0; i < d.length(); i++) {
        bytes.write(d.charAt(i));
      }
    }
    arena = bytes.toByteArray();
    pending = null;
    return this;
  }

  /** The smallest key of a pattern matching {@code host}, or {@link Compiled#NONE}. */
  long lookup(String host) {
    long best = Compiled.NONE;
    int n = host.length();
    int oneLabelStart = host.indexOf('.') + 1; // where a *.x pattern's x must start
    int h = 0;
    for (int i = n - 1; i >= 0; i--) {
      h = 31 * h + host.charAt(i);
      if (i != 0 && host.charAt(i - 1) != '.') {
        continue;
      }
      int b = find(host, i, h);
      if (b < 0) {
        continue;
      }
      if (i == 0) {
        best = Math.min(best, Math.min(slots[b + 1], slots[b + 2])); // EXACT, SUFFIX
      } else {
        best = Math.min(best, Math.min(slots[b + 2], slots[b + 3])); // SUFFIX, SUBDOMAINS
        if (i == oneLabelStart) {
          best = Math.min(best, slots[b + 4]); // ONE_LABEL
        }
      }
    }
    return best;
  }

  /** Index in {@link #slots} of the slot holding {@code host[from..]}, or -1. */
  private int find(String host, int from, int h) {
    int len = host.length() - from;
    int slot = spread(h) & mask;
    long s;
    while ((s = slots[slot * STRIDE]) != 0) {
      if ((int) (s >>> 32) == h && equal(host, from, len, (int) s)) {
        return slot * STRIDE;
      }
      slot = (slot + 1) & mask;
    }
    return -1;
  }

  private boolean equal(String host, int from, int len, int offset) {
    if ((arena[offset] & 0xff) != len) {
      return false;
    }
    for (int j = 0; j < len; j++) {
      if (arena[offset + 1 + j] != host.charAt(from + j)) {
        return false;
      }
    }
    return true;
  }

  private static int spread(int h) {
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  private static long[] newValues() {
    long[] v = new long[MODES];
    Arrays.fill(v, Compiled.NONE);
    return v;
  }
}
