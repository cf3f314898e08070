package dev.turnout.rules;

import io.airlift.compress.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Writes mihomo mrs rule sets for tests as its converter does: the header, then for domains the
 * succinct trie of the reversed, sorted patterns built breadth-first (a 0 bit and a label per
 * child, a 1 bit closing each node, a leaf bit per node that ends a pattern), for ipcidr the
 * (first, last) 16-byte address pairs; all zstd-compressed.
 */
final class MrsWriter {
  private MrsWriter() {}

  /** {@code patterns} as mihomo's domain trie holds them: {@code a.com}, {@code +.a.com}... */
  static byte[] domains(List<String> patterns) throws IOException {
    List<String> keys = new ArrayList<>();
    for (String p : patterns) {
      keys.add(new StringBuilder(p).reverse().toString());
    }
    Collections.sort(keys);
    long[] leaves = new long[1];
    long[] bitmap = new long[1];
    ByteArrayOutputStream labels = new ByteArrayOutputStream();
    List<int[]> queue = new ArrayList<>(); // {start, end, column}
    queue.add(new int[] {0, keys.size(), 0});
    int bit = 0;
    for (int i = 0; i < queue.size(); i++) {
      int[] e = queue.get(i);
      int s = e[0];
      if (e[2] == keys.get(s).length()) {
        s++;
        leaves = set(leaves, i);
      }
      for (int j = s; j < e[1]; ) {
        int from = j;
        char c = keys.get(from).charAt(e[2]);
        while (j < e[1] && keys.get(j).charAt(e[2]) == c) {
          j++;
        }
        queue.add(new int[] {from, j, e[2] + 1});
        labels.write(c);
        bit++; // a 0 bit
      }
      bitmap = set(bitmap, bit++);
    }
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    DataOutputStream out = header(raw, 0, patterns.size());
    out.writeByte(1);
    writeLongs(out, leaves);
    writeLongs(out, bitmap);
    out.writeLong(labels.size());
    out.write(labels.toByteArray());
    return compress(raw.toByteArray());
  }

  /** Ranges as pairs of literals, e.g. {@code "192.0.2.0", "192.0.2.255"}. */
  static byte[] ranges(String... firstLast) throws IOException {
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    DataOutputStream out = header(raw, 1, firstLast.length / 2);
    out.writeByte(1);
    out.writeLong(firstLast.length / 2);
    for (String a : firstLast) {
      out.write(as16(a));
    }
    return compress(raw.toByteArray());
  }

  private static byte[] as16(String literal) throws IOException {
    byte[] a = InetAddress.getByName(literal).getAddress();
    if (a.length == 16) {
      return a;
    }
    byte[] m = new byte[16];
    m[10] = (byte) 0xff;
    m[11] = (byte) 0xff;
    System.arraycopy(a, 0, m, 12, 4);
    return m;
  }

  private static DataOutputStream header(ByteArrayOutputStream raw, int behavior, long count)
      throws IOException {
    DataOutputStream out = new DataOutputStream(raw);
    out.write(new byte[] {'M', 'R', 'S', 1});
    out.writeByte(behavior);
    out.writeLong(count);
    out.writeLong(0); // no reserved bytes
    return out;
  }

  static byte[] compress(byte[] raw) throws IOException {
    ByteArrayOutputStream z = new ByteArrayOutputStream();
    try (ZstdOutputStream out = new ZstdOutputStream(z)) {
      out.write(raw);
    }
    return z.toByteArray();
  }

  private static long[] set(long[] bm, int i) {
    long[] b = bm;
    while (i >>> 6 >= b.length) {
      b = java.util.Arrays.copyOf(b, b.length + 1);
    }
    b[i >>> 6] |= 1L << (i & 63);
    return b;
  }

  private static void writeLongs(DataOutputStream out, long[] v) throws IOException {
    out.writeLong(v.length);
    for (long x : v) {
      out.writeLong(x);
    }
  }
}
