package dev.turnout.rules;

import dev.turnout.rules.Addresses.Prefix;
import dev.turnout.rules.ProtoReader.BadProto;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A v2fly {@code GeoIP.dat}, which mihomo reads for GEOIP with {@code geodata-mode: true}: a
 * protobuf {@code GeoIPList} whose entries are {@code GeoIP {country_code = 1; repeated CIDR cidr =
 * 2; bool reverse_match = 3}}, each {@code CIDR {bytes ip = 1; uint32 prefix = 2}}. Beside
 * countries, such files hold lists such as {@code private}, {@code telegram} or {@code netflix}.
 * The file is memory-mapped and indexed by code once; a code's ranges are decoded when a rule first
 * names it ({@link #load}), and lookups ask only the codes loaded. Thread-safe.
 */
final class GeoIpFile {
  /** One code's ranges; {@code reverse} (reverse_match) matches every address outside them. */
  private record Ranges(String code, CidrIndex index, boolean reverse) {
    boolean contains(Ip ip) {
      return (index.lookup(ip, 0) != Compiled.NONE) != reverse;
    }
  }

  private final Path path;
  private final ByteBuffer data;
  private final Map<String, int[]> entries; // upper-case code -> {start, end} of its GeoIP
  private volatile Ranges[] loaded = new Ranges[0];

  private GeoIpFile(Path path, ByteBuffer data, Map<String, int[]> entries) {
    this.path = path;
    this.data = data;
    this.entries = entries;
  }

  /**
   * Maps and indexes {@code path}.
   *
   * @throws IOException if it cannot be read or is not a GeoIPList
   */
  static GeoIpFile open(Path path) throws IOException {
    return of(path, V2rayDat.map(path));
  }

  /** Indexes {@code data}, a GeoIPList; {@code path} only names it in messages. */
  static GeoIpFile of(Path path, ByteBuffer data) throws IOException {
    return new GeoIpFile(path, data, V2rayDat.index(data, "GeoIP.dat (GeoIPList)"));
  }

  /**
   * Decodes the ranges of {@code code} (any case) for {@link #codes}, once.
   *
   * @return false if the file has no such code
   * @throws IOException if its entry is damaged
   */
  synchronized boolean load(String code) throws IOException {
    String key = code.toUpperCase(Locale.ROOT);
    for (Ranges r : loaded) {
      if (r.code.equals(key)) {
        return true;
      }
    }
    int[] at = entries.get(key);
    if (at == null) {
      return false;
    }
    CidrIndex index = new CidrIndex();
    boolean reverse = false;
    try {
      ProtoReader entry = new ProtoReader(data, at[0], at[1]);
      while (entry.next()) {
        if (entry.field() == 2 && entry.wireType() == ProtoReader.LEN) {
          index.add(prefix(entry.message()), 0);
        } else if (entry.field() == 3 && entry.wireType() == ProtoReader.VARINT) {
          reverse = entry.value() != 0;
        } else {
          entry.skip();
        }
      }
    } catch (BadProto e) {
      throw new IOException("code " + code + " in " + path + " is damaged: " + e.getMessage());
    }
    Ranges[] next = Arrays.copyOf(loaded, loaded.length + 1);
    next[loaded.length] = new Ranges(key, index.freeze(Integer.MAX_VALUE), reverse);
    loaded = next;
    return true;
  }

  /** The loaded codes whose ranges hold {@code ip}, upper case. */
  List<String> codes(Ip ip) {
    Ranges[] now = loaded;
    List<String> out = null;
    for (Ranges r : now) {
      if (r.contains(ip)) {
        if (out == null) {
          out = new ArrayList<>(2);
        }
        out.add(r.code);
      }
    }
    return out == null ? List.of() : out;
  }

  private static Prefix prefix(ProtoReader cidr) throws BadProto {
    byte[] ip = null;
    long length = 0; // proto3 leaves a zero out
    while (cidr.next()) {
      if (cidr.field() == 1 && cidr.wireType() == ProtoReader.LEN) {
        ip = cidr.bytes();
      } else if (cidr.field() == 2 && cidr.wireType() == ProtoReader.VARINT) {
        length = cidr.value();
      } else {
        cidr.skip();
      }
    }
    if (ip == null || (ip.length != 4 && ip.length != 16)) {
      throw new BadProto("a range without a 4- or 16-byte address");
    }
    Ip address;
    try {
      address = Ip.of(InetAddress.getByAddress(ip));
    } catch (UnknownHostException e) {
      throw new BadProto("bad address: " + e.getMessage());
    }
    if (ip.length == 16 && !address.v6) { // ::ffff:a.b.c.d/n, as IPv4
      length -= 96;
    }
    if (length < 0 || length > address.bits()) {
      throw new BadProto("prefix length " + length + " for " + address.address.getHostAddress());
    }
    return new Prefix(address, (int) length);
  }
}
