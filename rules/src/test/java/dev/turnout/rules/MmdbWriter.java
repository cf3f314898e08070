package dev.turnout.rules;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a small MaxMind DB (format 2.0: IPv6 tree with IPv4 under ::/96, 24-bit records) so that
 * the tests exercise MaxMind's real reader. Values: String, Integer/Long (uint32), Map, List.
 * Public for other modules' tests (the rules test-jar), e.g. the DNS fallback-filter's GEOIP.
 */
public final class MmdbWriter {
  private static final int EMPTY = -1;
  private final String databaseType;
  private final List<Object[]> networks = new ArrayList<>(); // {bits(byte[16]), length, value}

  public MmdbWriter(String databaseType) {
    this.databaseType = databaseType;
  }

  public MmdbWriter put(String cidr, Object value) throws IOException {
    String[] parts = cidr.split("/");
    byte[] a = InetAddress.getByName(parts[0]).getAddress();
    int len = Integer.parseInt(parts[1]);
    byte[] bits = new byte[16];
    if (a.length == 4) {
      System.arraycopy(a, 0, bits, 12, 4);
      len += 96;
    } else {
      bits = a;
    }
    networks.add(new Object[] {bits, len, value});
    return this;
  }

  public void write(Path file) throws IOException {
    ByteArrayOutputStream data = new ByteArrayOutputStream();
    List<int[]> nodes = new ArrayList<>();
    nodes.add(new int[] {EMPTY, EMPTY});
    networks.sort(Comparator.comparingInt(n -> (Integer) n[1]));
    for (Object[] n : networks) {
      int offset = data.size();
      encode(n[2], data);
      insert(nodes, (byte[]) n[0], (Integer) n[1], -2 - offset);
    }
    int count = nodes.size();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (int[] node : nodes) {
      for (int r : node) {
        int v = r == EMPTY ? count : r >= 0 ? r : count + 16 + (-2 - r);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
      }
    }
    out.write(new byte[16]);
    data.writeTo(out);
    out.write(new byte[] {(byte) 0xAB, (byte) 0xCD, (byte) 0xEF});
    out.write("MaxMind.com".getBytes(StandardCharsets.US_ASCII));
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("binary_format_major_version", new U16(2));
    meta.put("binary_format_minor_version", new U16(0));
    meta.put("build_epoch", new U64(1_700_000_000L));
    meta.put("database_type", databaseType);
    meta.put("description", Map.of("en", "turnout test database"));
    meta.put("ip_version", new U16(6));
    meta.put("languages", List.of("en"));
    meta.put("node_count", (long) count);
    meta.put("record_size", new U16(24));
    encode(meta, out);
    Files.write(file, out.toByteArray());
  }

  private static void insert(List<int[]> nodes, byte[] bits, int len, int value) {
    int n = 0;
    for (int i = 0; i < len; i++) {
      int b = (bits[i / 8] >>> (7 - i % 8)) & 1;
      if (i == len - 1) {
        nodes.get(n)[b] = value;
        return;
      }
      int r = nodes.get(n)[b];
      if (r < 0) { // empty or data: push it down one level
        nodes.add(new int[] {r, r});
        r = nodes.size() - 1;
        nodes.get(n)[b] = r;
      }
      n = r;
    }
  }

  private record U16(int v) {}

  private record U64(long v) {}

  private static void encode(Object v, ByteArrayOutputStream out) {
    if (v instanceof String s) {
      byte[] b = s.getBytes(StandardCharsets.UTF_8);
      control(2, b.length, out);
      out.writeBytes(b);
    } else if (v instanceof Map<?, ?> m) {
      control(7, m.size(), out);
      for (Map.Entry<?, ?> e : m.entrySet()) {
        encode(e.getKey(), out);
        encode(e.getValue(), out);
      }
    } else if (v instanceof List<?> l) {
      control(11, l.size(), out);
      l.forEach(x -> encode(x, out));
    } else if (v instanceof U16 u) {
      unsigned(5, u.v, out);
    } else if (v instanceof U64 u) {
      unsigned(9, u.v, out);
    } else if (v instanceof Number n) {
      unsigned(6, n.longValue(), out);
    } else {
      throw new IllegalArgumentException("cannot encode " + v);
    }
  }

  private static void unsigned(int type, long v, ByteArrayOutputStream out) {
    int bytes = 0;
    while (bytes < 8 && (v >>> (8 * bytes)) != 0) {
      bytes++;
    }
    control(type, bytes, out);
    for (int i = bytes - 1; i >= 0; i--) {
      out.write((int) (v >>> (8 * i)));
    }
  }

  private static void control(int type, int size, ByteArrayOutputStream out) {
    int first = type <= 7 ? type << 5 : 0;
    int[] extra;
    if (size < 29) {
      first |= size;
      extra = new int[0];
    } else if (size < 285) {
      first |= 29;
      extra = new int[] {size - 29};
    } else {
      first |= 30;
      extra = new int[] {(size - 285) >>> 8, (size - 285) & 0xff};
    }
    out.write(first);
    if (type > 7) {
      out.write(type - 7);
    }
    for (int e : extra) {
      out.write(e);
    }
  }
}
