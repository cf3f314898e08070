package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Which databases {@code run} downloads first: those the rules or DNS keys name and the directory
 * lacks, nothing else. The download itself is DnsUpstreamsIT's (from a real nginx).
 */
class GeoDownloadsTest {
  @TempDir Path home;

  private TurnoutConfig load(String yaml) throws Exception {
    Path file = home.resolve("config.yaml");
    Files.writeString(
        file, (yaml.startsWith("dns:") ? "" : "dns: {nameserver: [192.0.2.53]}\n") + yaml);
    return ConfigLoader.load(file);
  }

  @Test
  void onlyWhatTheRulesNameAndTheDirectoryLacks() throws Exception {
    assertThat(GeoDownloads.missing(load("rules: [MATCH,DIRECT]\n"))).isEmpty();
    assertThat(
            GeoDownloads.missing(
                load("rules: ['GEOIP,CN,DIRECT', 'IP-ASN,13335,DIRECT', 'GEOSITE,cn,DIRECT']\n")))
        .containsExactly(
            GeoDownloads.Database.MMDB, GeoDownloads.Database.ASN, GeoDownloads.Database.GEOSITE);
    assertThat(GeoDownloads.missing(load("rules: ['SRC-GEOIP,CN,DIRECT']\n")))
        .containsExactly(GeoDownloads.Database.MMDB);
    assertThat(
            GeoDownloads.missing(
                load(
                    "dns: {nameserver: [192.0.2.53], fallback: [192.0.2.54],"
                        + " fake-ip-filter: ['geosite:private']}\nrules: [MATCH,DIRECT]\n")))
        .as("fallback-filter's geoip is on by default; a geosite: filter")
        .containsExactly(GeoDownloads.Database.MMDB, GeoDownloads.Database.GEOSITE);
    Files.writeString(home.resolve("Country.mmdb"), "");
    assertThat(GeoDownloads.missing(load("rules: ['GEOIP,CN,DIRECT']\n"))).isEmpty();
  }
}
