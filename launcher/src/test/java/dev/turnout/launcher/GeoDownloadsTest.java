package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which databases {@code run} downloads first (those the rules or DNS keys name and the directory
 * lacks, nothing else) and which an update replaces. The downloads themselves are DnsUpstreamsIT's
 * (from a real nginx).
 */
class GeoDownloadsTest {
  @TempDir Path home;

  private TurnoutConfig load(String yaml) throws Exception {
    Path file = home.resolve("config.yaml");
    Files.writeString(
        file, (yaml.startsWith("dns:") ? "" : "dns: {nameserver: [192.0.2.53]}\n") + yaml);
    return ConfigLoader.load(file);
  }

  private List<GeoDownloads.Database> missing(TurnoutConfig config) {
    List<GeoDownloads.Target> targets = GeoDownloads.missing(config, home);
    targets.forEach(t -> assertThat(t.file()).isEqualTo(home.resolve(t.database().file)));
    return targets.stream().map(GeoDownloads.Target::database).toList();
  }

  @Test
  void onlyWhatTheRulesNameAndTheDirectoryLacks() throws Exception {
    assertThat(missing(load("rules: [MATCH,DIRECT]\n"))).isEmpty();
    assertThat(
            missing(
                load("rules: ['GEOIP,CN,DIRECT', 'IP-ASN,13335,DIRECT', 'GEOSITE,cn,DIRECT']\n")))
        .containsExactly(
            GeoDownloads.Database.MMDB, GeoDownloads.Database.ASN, GeoDownloads.Database.GEOSITE);
    assertThat(missing(load("rules: ['SRC-GEOIP,CN,DIRECT']\n")))
        .containsExactly(GeoDownloads.Database.MMDB);
    assertThat(
            missing(
                load(
                    "dns: {nameserver: [192.0.2.53], fallback: [192.0.2.54],"
                        + " fake-ip-filter: ['geosite:private']}\nrules: [MATCH,DIRECT]\n")))
        .as("fallback-filter's geoip is on by default; a geosite: filter")
        .containsExactly(GeoDownloads.Database.MMDB, GeoDownloads.Database.GEOSITE);
    Files.writeString(home.resolve("Country.mmdb"), "");
    assertThat(missing(load("rules: ['GEOIP,CN,DIRECT']\n"))).isEmpty();
    assertThat(missing(load("geodata-mode: true\nrules: ['GEOIP,CN,DIRECT']\n")))
        .as("geodata-mode reads GEOIP from GeoIP.dat")
        .containsExactly(GeoDownloads.Database.GEOIP);
  }

  @Test
  void updatesReplaceWhatIsBesideTheConfigurationOnly() throws Exception {
    Files.writeString(home.resolve("country.MMDB"), "");
    Path elsewhere = Files.createDirectories(home.resolve("geo")).resolve("GeoLite2-ASN.mmdb");
    Files.writeString(elsewhere, "");
    TurnoutConfig config =
        load(
            "asn-database: geo/GeoLite2-ASN.mmdb\n"
                + "rules: ['GEOIP,CN,DIRECT', 'IP-ASN,13335,DIRECT', 'GEOSITE,cn,DIRECT']\n");
    assertThat(GeoDownloads.updatable(config, home))
        .as("found in another case, missing (GeoSite.dat); not a file a key names elsewhere")
        .containsExactly(
            new GeoDownloads.Target(GeoDownloads.Database.MMDB, home.resolve("country.MMDB")),
            new GeoDownloads.Target(GeoDownloads.Database.GEOSITE, home.resolve("GeoSite.dat")));
  }
}
