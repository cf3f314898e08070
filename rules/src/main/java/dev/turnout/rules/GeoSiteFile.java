package dev.turnout.rules;

import dev.turnout.rules.ProtoReader.BadProto;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A v2fly {@code geosite.dat}: a protobuf {@code GeoSiteList} whose entries are {@code GeoSite
 * {country_code = 1; repeated Domain domain = 2}}, each {@code Domain {Type type = 1; string value
 * = 2; repeated Attribute attribute = 3}} with {@code Attribute {string key = 1; ...}}. The file is
 * memory-mapped and indexed by list name once; a list's domains are decoded when asked for, so a 10
 * MB file costs no heap for the lists nobody uses. Thread-safe after {@link #open}.
 */
final class GeoSiteFile {
  /** How a domain value is matched, as numbered in v2fly's {@code Domain.Type}. */
  enum Kind {
    /** Substring of the host: {@code keyword:} in domain-list-community. */
    PLAIN,
    /** Regular expression searched in the host: {@code regexp:}. */
    REGEX,
    /** The domain and every name below it: {@code domain:}. */
    DOMAIN,
    /** Exactly this name: {@code full:}. */
    FULL
  }

  /** One domain of a list; {@code attributes} are the keys written after {@code @}, lower case. */
  record Entry(Kind kind, String value, List<String> attributes) {
    /** As written in domain-list-community, e.g. {@code domain:example.com}. */
    String text() {
      String prefix =
          switch (kind) {
            case PLAIN -> "keyword:";
            case REGEX -> "regexp:";
            case DOMAIN -> "domain:";
            case FULL -> "full:";
          };
      return prefix + value;
    }
  }

  private final Path path;
  private final ByteBuffer data;
  private final Map<String, int[]> lists; // upper-case name -> {start, end} of its GeoSite

  private GeoSiteFile(Path path, ByteBuffer data, Map<String, int[]> lists) {
    this.path = path;
    this.data = data;
    this.lists = lists;
  }

  /**
   * Maps and indexes {@code path}.
   *
   * @throws IOException if it cannot be read or is not a GeoSiteList
   */
  static GeoSiteFile open(Path path) throws IOException {
    return of(path, V2rayDat.map(path));
  }

  /** Indexes {@code data}, a GeoSiteList; {@code path} only names it in messages. */
  static GeoSiteFile of(Path path, ByteBuffer data) throws IOException {
    return new GeoSiteFile(path, data, V2rayDat.index(data, "geosite.dat (GeoSiteList)"));
  }

  Path path() {
    return path;
  }

  int size() {
    return lists.size();
  }

  /**
   * The domains of the list named {@code name} (case-insensitive, as in mihomo), or empty if the
   * file has no such list.
   *
   * @throws IOException if the list is not valid protobuf
   */
  Optional<List<Entry>> list(String name) throws IOException {
    int[] at = lists.get(name.toUpperCase(Locale.ROOT));
    if (at == null) {
      return Optional.empty();
    }
    List<Entry> out = new ArrayList<>();
    try {
      ProtoReader site = new ProtoReader(data, at[0], at[1]);
      while (site.next()) {
        if (site.field() == 2 && site.wireType() == ProtoReader.LEN) {
          out.add(domain(site.message()));
        } else {
          site.skip();
        }
      }
    } catch (BadProto e) {
      throw new IOException("list " + name + " in " + path + " is damaged: " + e.getMessage());
    }
    return Optional.of(out);
  }

  private static Entry domain(ProtoReader d) throws BadProto {
    long type = 0;
    String value = "";
    List<String> attributes = new ArrayList<>(0);
    while (d.next()) {
      switch (d.field()) {
        case 1 -> type = d.value();
        case 2 -> value = d.string();
        case 3 -> attributes.add(attributeKey(d.message()));
        default -> d.skip();
      }
    }
    if (type < 0 || type > 3) {
      throw new BadProto("unknown domain type " + type + " for '" + value + "'");
    }
    return new Entry(Kind.values()[(int) type], value, List.copyOf(attributes));
  }

  private static String attributeKey(ProtoReader a) throws BadProto {
    String key = "";
    while (a.next()) {
      if (a.field() == 1) {
        key = a.string().toLowerCase(Locale.ROOT);
      } else {
        a.skip();
      }
    }
    return key;
  }
}
