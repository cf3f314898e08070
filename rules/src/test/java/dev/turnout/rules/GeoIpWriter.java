package dev.turnout.rules;

import static dev.turnout.rules.ProtoWriter.string;
import static dev.turnout.rules.ProtoWriter.varintField;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes a small v2fly {@code GeoIP.dat} for tests, byte by byte from the protobuf wire format
 * ({@code GeoIPList{repeated GeoIP entry = 1}}, {@code GeoIP{country_code = 1; repeated CIDR cidr =
 * 2; bool reverse_match = 3}}, {@code CIDR{bytes ip = 1; uint32 prefix = 2}}), with an unknown
 * field in each entry as newer files have.
 */
public final class GeoIpWriter {
  private final Map<String, List<String>> lists = new LinkedHashMap<>();
  private final Set<String> reversed = new LinkedHashSet<>();

  /** Ranges such as {@code 203.0.113.0/24} or {@code 2001:db8::/32} under {@code code}. */
  public GeoIpWriter list(String code, String... cidrs) {
    lists.computeIfAbsent(code, k -> new ArrayList<>()).addAll(List.of(cidrs));
    return this;
  }

  /** A list with reverse_match: every address outside its ranges. */
  public GeoIpWriter reversed(String code, String... cidrs) {
    reversed.add(code);
    return list(code, cidrs);
  }

  public Path write(Path file) throws IOException {
    Files.write(file, bytes());
    return file;
  }

  public byte[] bytes() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Map.Entry<String, List<String>> e : lists.entrySet()) {
      ByteArrayOutputStream entry = new ByteArrayOutputStream();
      string(entry, 1, e.getKey());
      for (String cidr : e.getValue()) {
        String[] parts = cidr.split("/", 2);
        ByteArrayOutputStream range = new ByteArrayOutputStream();
        ProtoWriter.bytes(range, 1, address(parts[0]));
        int length = Integer.parseInt(parts[1]);
        if (length != 0) { // proto3 leaves a default value out
          varintField(range, 2, length);
        }
        ProtoWriter.bytes(entry, 2, range.toByteArray());
      }
      if (reversed.contains(e.getKey())) {
        varintField(entry, 3, 1);
      }
      varintField(entry, 9, 7); // an unknown field, to be skipped
      ProtoWriter.bytes(out, 1, entry.toByteArray());
    }
    return out.toByteArray();
  }

  /** Java reads ::ffff:a.b.c.d as IPv4; such files hold all 16 bytes. */
  private static byte[] address(String literal) throws IOException {
    byte[] b = InetAddress.getByName(literal).getAddress();
    if (b.length == 4 && literal.contains(":")) {
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xff;
      mapped[11] = (byte) 0xff;
      System.arraycopy(b, 0, mapped, 12, 4);
      return mapped;
    }
    return b;
  }
}
