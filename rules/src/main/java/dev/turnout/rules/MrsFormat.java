package dev.turnout.rules;

import dev.turnout.rules.ProviderSpec.Behavior;
import io.airlift.compress.zstd.ZstdInputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Decodes mihomo's binary rule sets ({@code format: mrs}) into the entries a {@code domain} or
 * {@code ipcidr} provider would list as text, as mihomo's converter writes them: a zstd stream
 * holding {@code "MRS" 1}, the behavior byte (0 domain, 1 ipcidr), an int64 entry count, an int64
 * length of reserved bytes and those bytes, then the set (all integers big-endian):
 *
 * <ul>
 *   <li>domain: a succinct trie of the reversed patterns ({@code version 1}; int64 n and n uint64
 *       leaf bits; int64 n and n uint64 label bits; int64 n and n label bytes), nodes in
 *       breadth-first order: for each node a 0 bit per child (its label in {@code labels}) then a 1
 *       bit. A pattern {@code +.example.com} there means the names below {@code example.com}; this
 *       returns it as {@code .example.com}, the text form of the same set.
 *   <li>ipcidr: {@code version 1}, int64 n, then n (first, last) address pairs of 16 bytes each
 *       (IPv4 as {@code ::ffff:a.b.c.d}); returned as the CIDRs that cover each range exactly.
 * </ul>
 *
 * Pure and bounded: decompressed size, counts and pattern lengths are checked before anything is
 * allocated for them.
 */
final class MrsFormat {
  /** The zstd frame magic, little-endian on the wire: a file that starts so is a zstd stream. */
  static final byte[] ZSTD_MAGIC = {(byte) 0x28, (byte) 0xb5, (byte) 0x2f, (byte) 0xfd};

  private static final long MAX_DECOMPRESSED = 256L << 20;
  private static final int MAX_RANGES = 1 << 20;
  private static final int MAX_PATTERN = 1024;

  private MrsFormat() {}

  static boolean looksLikeMrs(byte[] content) {
    if (content.length < ZSTD_MAGIC.length) {
      return false;
    }
    for (int i = 0; i < ZSTD_MAGIC.length; i++) {
      if (content[i] != ZSTD_MAGIC[i]) {
        return false;
      }
    }
    return true;
  }

  /**
   * The entries in {@code content}, as text.
   *
   * @throws IOException with a message for the user if it is not an mrs list of {@code behavior}
   */
  static List<String> read(byte[] content, Behavior behavior) throws IOException {
    if (behavior == Behavior.CLASSICAL) {
      throw new IOException("mrs holds only domain and ipcidr lists, not classical ones");
    }
    if (!looksLikeMrs(content)) {
      throw new IOException("not an mrs file (no zstd stream)");
    }
    try (DataInputStream in =
        new DataInputStream(new Bounded(new ZstdInputStream(new ByteArrayInputStream(content))))) {
      byte[] magic = new byte[4];
      in.readFully(magic);
      if (magic[0] != 'M' || magic[1] != 'R' || magic[2] != 'S' || magic[3] != 1) {
        throw new IOException("not an mrs file (bad magic)");
      }
      int b = in.readUnsignedByte();
      Behavior written = b == 0 ? Behavior.DOMAIN : b == 1 ? Behavior.IPCIDR : null;
      if (written != behavior) {
        throw new IOException(
            "the file holds a "
                + (written == null ? "behavior " + b : written.name().toLowerCase())
                + " list, the provider says "
                + behavior.name().toLowerCase());
      }
      in.readLong(); // the entry count, informative only
      long extra = in.readLong();
      if (extra < 0 || extra > MAX_DECOMPRESSED) {
        throw new IOException("bad reserved length " + extra);
      }
      in.skipNBytes(extra);
      return behavior == Behavior.DOMAIN ? domains(in) : cidrs(in);
    } catch (EOFException e) {
      throw new IOException("mrs file is truncated");
    } catch (RuntimeException e) { // the decompressor reports corrupt input unchecked
      throw new IOException("mrs file is corrupt: " + e.getMessage());
    }
  }

  private static List<String> domains(DataInputStream in) throws IOException {
    version(in);
    long[] leaves = longs(in);
    long[] bitmap = longs(in);
    byte[] labels = bytes(in);
    // Node ids in breadth-first order: the k-th 0 bit of the bitmap is the edge to node k + 1.
    int[] parent = new int[labels.length + 1];
    parent[0] = -1;
    int node = 0;
    int edge = 0;
    long bits = (long) bitmap.length * 64;
    for (long i = 0; i < bits && edge < labels.length; i++) {
      if ((bitmap[(int) (i >>> 6)] & (1L << (i & 63))) == 0) {
        if (node > edge) {
          throw new IOException("damaged domain trie");
        }
        parent[++edge] = node;
      } else {
        node++;
      }
    }
    List<String> out = new ArrayList<>();
    StringBuilder sb = new StringBuilder();
    for (int id = 0; id <= edge; id++) {
      if (id >= (long) leaves.length * 64 || (leaves[id >>> 6] & (1L << (id & 63))) == 0) {
        continue;
      }
      sb.setLength(0);
      for (int n = id; n > 0; n = parent[n]) { // up the trie: the reversed key, read forwards
        if (sb.length() >= MAX_PATTERN) {
          throw new IOException("damaged domain trie: pattern longer than " + MAX_PATTERN);
        }
        sb.append((char) (labels[n - 1] & 0xff));
      }
      String pattern = sb.toString();
      out.add(pattern.startsWith("+.") ? pattern.substring(1) : pattern);
    }
    return out;
  }

  private static List<String> cidrs(DataInputStream in) throws IOException {
    version(in);
    long n = in.readLong();
    if (n < 0 || n > MAX_RANGES) {
      throw new IOException("bad range count " + n);
    }
    List<String> out = new ArrayList<>();
    byte[] from = new byte[16];
    byte[] to = new byte[16];
    for (long i = 0; i < n; i++) {
      in.readFully(from);
      in.readFully(to);
      boolean v4 = isMapped(from) && isMapped(to);
      int bits = v4 ? 32 : 128;
      BigInteger lo = new BigInteger(1, v4 ? tail4(from) : from);
      BigInteger hi = new BigInteger(1, v4 ? tail4(to) : to);
      if (lo.compareTo(hi) > 0) {
        throw new IOException("range runs backwards");
      }
      cover(lo, hi, bits, out);
    }
    return out;
  }

  /** Appends the fewest CIDRs that cover [lo, hi] exactly. */
  static void cover(BigInteger lo, BigInteger hi, int bits, List<String> out) throws IOException {
    BigInteger end = hi.add(BigInteger.ONE);
    while (lo.compareTo(end) < 0) {
      int size = lo.signum() == 0 ? bits : Math.min(bits, lo.getLowestSetBit());
      while (size > 0 && lo.add(BigInteger.ONE.shiftLeft(size)).compareTo(end) > 0) {
        size--;
      }
      out.add(literal(lo, bits) + "/" + (bits - size));
      lo = lo.add(BigInteger.ONE.shiftLeft(size));
    }
  }

  private static String literal(BigInteger v, int bits) throws UnknownHostException {
    byte[] raw = v.toByteArray();
    byte[] b = new byte[bits / 8];
    for (int i = 0; i < Math.min(b.length, raw.length); i++) {
      b[b.length - 1 - i] = raw[raw.length - 1 - i];
    }
    return InetAddress.getByAddress(b).getHostAddress();
  }

  private static boolean isMapped(byte[] a) {
    for (int i = 0; i < 10; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return a[10] == (byte) 0xff && a[11] == (byte) 0xff;
  }

  private static byte[] tail4(byte[] a) {
    return new byte[] {a[12], a[13], a[14], a[15]};
  }

  private static void version(DataInputStream in) throws IOException {
    int v = in.readUnsignedByte();
    if (v != 1) {
      throw new IOException("unknown set version " + v);
    }
  }

  private static long[] longs(DataInputStream in) throws IOException {
    long n = in.readLong();
    if (n < 1 || n > MAX_DECOMPRESSED / 8) {
      throw new IOException("bad length " + n);
    }
    long[] out = new long[(int) Math.min(n, 4096)]; // grows as data really arrives
    for (int i = 0; i < n; i++) {
      if (i == out.length) {
        out = Arrays.copyOf(out, (int) Math.min(n, 2L * out.length));
      }
      out[i] = in.readLong();
    }
    return out;
  }

  private static byte[] bytes(DataInputStream in) throws IOException {
    long n = in.readLong();
    if (n < 1 || n > MAX_DECOMPRESSED) {
      throw new IOException("bad length " + n);
    }
    byte[] b = in.readNBytes((int) n);
    if (b.length != n) {
      throw new EOFException();
    }
    return b;
  }

  /** Fails once more than {@link #MAX_DECOMPRESSED} bytes came out of the decompressor. */
  private static final class Bounded extends InputStream {
    private final InputStream in;
    private long read;

    Bounded(InputStream in) {
      this.in = in;
    }

    @Override
    public int read() throws IOException {
      int b = in.read();
      count(b < 0 ? 0 : 1);
      return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      int n = in.read(b, off, len);
      count(Math.max(n, 0));
      return n;
    }

    private void count(int n) throws IOException {
      read += n;
      if (read > MAX_DECOMPRESSED) {
        throw new IOException("decompresses to more than " + (MAX_DECOMPRESSED >> 20) + " MiB");
      }
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
