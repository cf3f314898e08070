package dev.turnout.rules;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks that a file is the geodata database it is meant to be, before it replaces the one in use:
 * a download that brought an error page, or half a file, must not become the next configuration's
 * GEOIP or GEOSITE data.
 */
public final class GeodataFiles {
  /** What a file is for. */
  public enum Kind {
    /** GEOIP: a MaxMind country database ({@code Country.mmdb}) or a v2fly {@code GeoIP.dat}. */
    COUNTRY,
    /** IP-ASN: a MaxMind ASN database ({@code GeoLite2-ASN.mmdb}). */
    ASN,
    /** GEOSITE: a v2fly {@code geosite.dat}. */
    GEOSITE
  }

  private GeodataFiles() {}

  /**
   * Opens {@code file} as a {@code kind} database.
   *
   * @throws IOException saying what is wrong, if it is empty or not such a database
   */
  public static void check(Path file, Kind kind) throws IOException {
    if (Files.size(file) == 0) {
      throw new IOException(file + " is empty");
    }
    switch (kind) {
      case COUNTRY -> GeoDb.open(file, null).close();
      case ASN -> {
        if (!GeoDb.isMmdb(file)) {
          throw new IOException(file + " is not a MaxMind database");
        }
        GeoDb.open(null, file).close();
      }
      case GEOSITE -> GeoSiteFile.open(file);
    }
  }
}
