package dev.turnout.rules;

import com.maxmind.db.CHMCache;
import com.maxmind.db.Reader;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Country and ASN lookups in MaxMind {@code .mmdb} files through MaxMind's reader. Accepts the
 * record shapes found in Clash's country databases: a MaxMind map ({@code country.iso_code}), a
 * bare string (sing-geoip) or a list of strings (Meta-geoip). Thread-safe; the readers memory-map
 * the files and cache decoded records.
 */
final class GeoDb implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(GeoDb.class);
  static final GeoDb NONE = new GeoDb(null, null);

  private final Reader country;
  private final Reader asn;

  private GeoDb(Reader country, Reader asn) {
    this.country = country;
    this.asn = asn;
  }

  static GeoDb open(Path countryDb, Path asnDb) throws IOException {
    Reader c = countryDb == null ? null : new Reader(countryDb.toFile(), new CHMCache());
    try {
      Reader a = asnDb == null ? null : new Reader(asnDb.toFile(), new CHMCache());
      return new GeoDb(c, a);
    } catch (IOException e) {
      if (c != null) {
        c.close();
      }
      throw e;
    }
  }

  List<String> countries(InetAddress address) {
    if (country == null) {
      return List.of();
    }
    try {
      Object rec = country.get(address, Object.class);
      if (rec instanceof String s) {
        return List.of(s.toUpperCase(Locale.ROOT));
      }
      if (rec instanceof List<?> list) {
        List<String> codes = new ArrayList<>(list.size());
        for (Object o : list) {
          codes.add(String.valueOf(o).toUpperCase(Locale.ROOT));
        }
        return codes;
      }
      if (rec instanceof Map<?, ?> map && map.get("country") instanceof Map<?, ?> c) {
        if (c.get("iso_code") instanceof String iso) {
          return List.of(iso.toUpperCase(Locale.ROOT));
        }
      }
      return List.of();
    } catch (IOException | RuntimeException e) {
      log.debug("country lookup of {} failed: {}", address, e.toString());
      return List.of();
    }
  }

  /** The autonomous system number of {@code address}, or -1. */
  long asn(InetAddress address) {
    if (asn == null) {
      return -1;
    }
    try {
      if (asn.get(address, Object.class) instanceof Map<?, ?> map
          && map.get("autonomous_system_number") instanceof Number n) {
        return n.longValue();
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      log.debug("ASN lookup of {} failed: {}", address, e.toString());
      return -1;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      if (country != null) {
        country.close();
      }
    } finally {
      if (asn != null) {
        asn.close();
      }
    }
  }
}
