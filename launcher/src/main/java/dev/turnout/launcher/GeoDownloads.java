package dev.turnout.launcher;

import dev.turnout.launcher.config.DnsSettings;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.rules.GeodataFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Downloads of the geodata databases a configuration uses, as mihomo makes them: from {@code
 * geox-url} ({@code mmdb}, {@code geoip}, {@code asn}, {@code geosite}), else from mihomo's default
 * addresses, into the configuration's directory under the names Turnout then finds there ({@code
 * Country.mmdb}, or {@code GeoIP.dat} with {@code geodata-mode}, {@code GeoLite2-ASN.mmdb}, {@code
 * GeoSite.dat}), through {@link DirectDownloads}. {@code run} fetches the missing ones before it
 * builds anything ({@link #missing}); {@link GeoUpdates} fetches them all again on schedule or when
 * asked ({@link #updatable}).
 *
 * <p>A download is written beside its target as {@code .part}, opened as the database it should be
 * (an error page or half a file is refused), and only then moved over the target in one step; a
 * download equal to the file it would replace leaves the file as it is, but for its modification
 * time, which thus tells when the database was last checked. A failed download is a warning: at
 * start, the start then fails where the rules need the file, saying so.
 */
final class GeoDownloads {
  private static final Logger log = LoggerFactory.getLogger(GeoDownloads.class);

  /** A database: its geox-url key, the file it becomes, mihomo's default address, its kind. */
  enum Database {
    MMDB(
        "mmdb",
        "Country.mmdb",
        "https://github.com/MetaCubeX/meta-rules-dat/releases/download/latest/country.mmdb",
        GeodataFiles.Kind.COUNTRY),
    GEOIP(
        "geoip",
        "GeoIP.dat",
        "https://github.com/MetaCubeX/meta-rules-dat/releases/download/latest/geoip.dat",
        GeodataFiles.Kind.COUNTRY),
    ASN(
        "asn",
        "GeoLite2-ASN.mmdb",
        "https://github.com/xishang0128/geoip/releases/download/latest/GeoLite2-ASN.mmdb",
        GeodataFiles.Kind.ASN),
    GEOSITE(
        "geosite",
        "GeoSite.dat",
        "https://github.com/MetaCubeX/meta-rules-dat/releases/download/latest/geosite.dat",
        GeodataFiles.Kind.GEOSITE);

    final String key;
    final String file;
    final String defaultUrl;
    final GeodataFiles.Kind kind;

    Database(String key, String file, String defaultUrl, GeodataFiles.Kind kind) {
      this.key = key;
      this.file = file;
      this.defaultUrl = defaultUrl;
      this.kind = kind;
    }

    /** The file {@code files} found or names for this database; null if none. */
    Path configured(TurnoutConfig.Files files) {
      return switch (this) {
        case MMDB, GEOIP -> files.geoipDatabase();
        case ASN -> files.asnDatabase();
        case GEOSITE -> files.geositeDatabase();
      };
    }
  }

  /** A database and the file a download of it replaces. */
  record Target(Database database, Path file) {}

  /** What a round of downloads did: the files that changed, and why the others failed. */
  record Outcome(List<Path> changed, List<String> failures) {}

  private GeoDownloads() {}

  /** The databases {@code config} needs (its rules and DNS keys name them), found or not. */
  static List<Database> used(TurnoutConfig config) {
    List<String> texts = new ArrayList<>();
    config.rules().forEach(r -> texts.add(r.text().toUpperCase(Locale.ROOT)));
    config
        .subRules()
        .values()
        .forEach(l -> l.forEach(r -> texts.add(r.text().toUpperCase(Locale.ROOT))));
    DnsSettings dns = config.dns().settings();
    List<String> dnsNames = new ArrayList<>(config.dns().fakeIpFilter());
    dns.nameserverPolicy().forEach(p -> dnsNames.add(p.key()));
    dnsNames.addAll(dns.fallbackFilter().geosite());
    List<Database> out = new ArrayList<>();
    boolean fallbackGeoip = !dns.fallback().isEmpty() && dns.fallbackFilter().geoip();
    if (fallbackGeoip || texts.stream().anyMatch(t -> t.contains("GEOIP,"))) {
      out.add(config.files().geodataMode() ? Database.GEOIP : Database.MMDB);
    }
    if (texts.stream().anyMatch(t -> t.contains("IP-ASN,"))) {
      out.add(Database.ASN);
    }
    if (texts.stream().anyMatch(t -> t.contains("GEOSITE,"))
        || !dns.fallbackFilter().geosite().isEmpty()
        || dnsNames.stream().anyMatch(n -> n.toLowerCase(Locale.ROOT).startsWith("geosite:"))) {
      out.add(Database.GEOSITE);
    }
    return out;
  }

  /** The databases {@code config} needs and has not found: {@code run} downloads them first. */
  static List<Target> missing(TurnoutConfig config, Path home) {
    List<Target> out = new ArrayList<>();
    for (Database d : used(config)) {
      if (d.configured(config.files()) == null) {
        out.add(new Target(d, home.resolve(d.file)));
      }
    }
    return out;
  }

  /**
   * The databases {@code config} needs, where an update writes them: the file found beside the
   * configuration (in whatever case its name is written), else the default name there. A file that
   * a key of Turnout's ({@code geoip-database}, ...) names elsewhere or otherwise is left to
   * whoever put it there (geoipupdate, a package), and so is not listed.
   */
  static List<Target> updatable(TurnoutConfig config, Path home) {
    List<Target> out = new ArrayList<>();
    for (Database d : used(config)) {
      Path found = d.configured(config.files());
      if (found == null) {
        out.add(new Target(d, home.resolve(d.file)));
      } else if (home.equals(found.toAbsolutePath().normalize().getParent())
          && found.getFileName().toString().equalsIgnoreCase(d.file)) {
        out.add(new Target(d, found));
      } else {
        log.debug(
            "geodata: {} is not updated: it is not {} beside the configuration", found, d.file);
      }
    }
    return out;
  }

  /** Downloads {@code targets}, each replacing its file when it is valid and different. */
  static Outcome fetch(TurnoutConfig config, List<Target> targets) {
    List<Path> changed = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    if (targets.isEmpty()) {
      return new Outcome(changed, failures);
    }
    try (DirectDownloads downloads = new DirectDownloads(config)) {
      for (Target t : targets) {
        String url = config.files().geoxUrls().getOrDefault(t.database.key, t.database.defaultUrl);
        try {
          byte[] body = downloads.get(url);
          if (replace(t, body)) {
            log.info("geodata: downloaded {} ({} bytes) from {}", t.file, body.length, url);
            changed.add(t.file);
          } else {
            log.info("geodata: {} is up to date with {}", t.file, url);
          }
        } catch (IOException | IllegalArgumentException e) {
          String failure =
              "cannot download " + t.file.getFileName() + " from " + url + ": " + e.getMessage();
          log.warn("geodata: {}", failure);
          failures.add(failure);
        }
      }
    } catch (RuntimeException e) {
      log.warn("geodata: cannot download: {}", e.toString());
      failures.add(e.toString());
    }
    return new Outcome(changed, failures);
  }

  /** Puts {@code body} in place of {@code t}'s file; false if the file already holds it. */
  private static boolean replace(Target t, byte[] body) throws IOException {
    Path part = t.file.resolveSibling(t.file.getFileName() + ".part");
    try {
      Files.write(part, body);
      GeodataFiles.check(part, t.database.kind);
      if (Files.isRegularFile(t.file) && Files.mismatch(part, t.file) == -1) {
        Files.setLastModifiedTime(t.file, FileTime.fromMillis(System.currentTimeMillis()));
        return false;
      }
      Files.move(part, t.file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      return true;
    } finally {
      Files.deleteIfExists(part);
    }
  }
}
