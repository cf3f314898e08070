package dev.turnout.rules;

import com.maxmind.db.CHMCache;
import com.maxmind.db.Reader;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Country and ASN lookups. Countries come from a MaxMind {@code .mmdb} through MaxMind's reader or
 * from a v2fly {@code GeoIP.dat} ({@link GeoIpFile}), told apart by their contents, so whichever
 * file a configuration names works. Of an {@code .mmdb} it accepts the record shapes found in
 * Clash's country databases: a MaxMind map ({@code country.iso_code}), a bare string (sing-geoip)
 * or a list of strings (Meta-geoip). ASNs come from a MaxMind ASN database. Thread-safe; the
 * readers memory-map the files and cache decoded records.
 */
final class GeoDb implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(GeoDb.class);
  static final GeoDb NONE = new GeoDb(null, null, null);

  /** What every MaxMind DB holds before its metadata, within its last 128 KiB. */
  private static final byte[] MMDB_MARKER = {
    (byte) 0xab, (byte) 0xcd, (byte) 0xef, 'M', 'a', 'x', 'M', 'i', 'n', 'd', '.', 'c', 'o', 'm'
  };

  private final Reader country;
  private final GeoIpFile dat;
  private final Reader asn;

  private GeoDb(Reader country, GeoIpFile dat, Reader asn) {
    this.country = country;
    this.dat = dat;
    this.asn = asn;
  }

  /** Either path may be null: then lookups of that kind find nothing. */
  static GeoDb open(Path countryDb, Path asnDb) throws IOException {
    Reader c = null;
    GeoIpFile dat = null;
    if (countryDb != null) {
      if (isMmdb(countryDb)) {
        c = new Reader(countryDb.toFile(), new CHMCache());
      } else {
        dat = GeoIpFile.open(countryDb);
      }
    }
    try {
      Reader a = asnDb == null ? null : new Reader(asnDb.toFile(), new CHMCache());
      return new GeoDb(c, dat, a);
    } catch (IOException e) {
      if (c != null) {
        c.close();
      }
      throw e;
    }
  }

  /** Whether {@code file} is a MaxMind DB (else it is read as a GeoIP.dat). */
  static boolean isMmdb(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      int n = (int) Math.min(size, 128 * 1024);
      ByteBuffer tail = ByteBuffer.allocate(n);
      while (tail.hasRemaining() && ch.read(tail, size - n + tail.position()) > 0) {
        // reads the whole tail
      }
      byte[] b = tail.array();
      outer:
      for (int i = n - MMDB_MARKER.length; i >= 0; i--) {
        for (int j = 0; j < MMDB_MARKER.length; j++) {
          if (b[i + j] != MMDB_MARKER[j]) {
            continue outer;
          }
        }
        return true;
      }
      return false;
    }
  }

  boolean hasCountries() {
    return country != null || dat != null;
  }

  boolean hasAsn() {
    return asn != null;
  }

  /**
   * Readies {@code code} (upper case) for {@link #countries}: a GeoIP.dat decodes its ranges now.
   *
   * @return false if the database has no such code (a {@code .mmdb} has every code)
   * @throws IOException if the code's entry is damaged
   */
  boolean require(String code) throws IOException {
    return dat == null || dat.load(code);
  }

  /** The country codes (upper case) of {@code ip}; of a GeoIP.dat, those rules asked for. */
  List<String> countries(Ip ip) {
    if (dat != null) {
      return dat.codes(ip);
    }
    if (country == null) {
      return List.of();
    }
    InetAddress address = ip.address;
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
  long asn(Ip ip) {
    InetAddress address = ip.address;
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
