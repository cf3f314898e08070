package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.config.Problem;
import dev.turnout.config.Problems;
import dev.turnout.fakedns.DomainSet;
import dev.turnout.fakedns.DomainSets;
import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.rules.MmdbWriter;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DNS module's sets and countries, answered by small engines of the rules module. */
class RuleSetsTest {
  @TempDir Path dir;

  private TurnoutConfig config(String dns) throws Exception {
    Files.writeString(dir.resolve("ads.txt"), "+.ads.test\ntracker.example\n");
    Files.writeString(
        dir.resolve("mixed.txt"), "DOMAIN-SUFFIX,corp.test\nIP-CIDR,203.0.113.0/24,no-resolve\n");
    Files.writeString(dir.resolve("nets.txt"), "203.0.113.0/24\n");
    new MmdbWriter("GeoLite2-Country")
        .put("203.0.113.0/24", Map.of("country", Map.of("iso_code", "CN")))
        .put("198.51.100.0/24", Map.of("country", Map.of("iso_code", "US")))
        .write(dir.resolve("country.mmdb"));
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "geoip-database: country.mmdb",
            "dns:",
            "  nameserver: [192.0.2.53]",
            dns,
            "rule-providers:",
            "  ads: {type: file, behavior: domain, format: text, path: ads.txt}",
            "  mixed: {type: file, behavior: classical, format: text, path: mixed.txt}",
            "  nets: {type: file, behavior: ipcidr, format: text, path: nets.txt}",
            "rules:",
            "  - MATCH,DIRECT",
            ""));
    return ConfigLoader.load(file);
  }

  @Test
  void ruleSetsHoldWhatTheirProviderListsOnceLoaded() throws Exception {
    try (RuleSets sets = new RuleSets(config(""))) {
      DomainSet ads = sets.named(DomainSets.Kind.RULE_SET, "ads");
      DomainSet mixed = sets.named(DomainSets.Kind.RULE_SET, "mixed");
      assertThat(ads.contains("x.ads.test")).isFalse(); // not loaded yet: empty, as in mihomo
      sets.load(null);
      assertThat(ads.contains("x.ads.test")).isTrue();
      assertThat(ads.contains("ads.test")).isTrue();
      assertThat(ads.contains("tracker.example")).isTrue();
      assertThat(ads.contains("other.test")).isFalse();
      assertThat(mixed.contains("www.corp.test")).isTrue(); // a classical list's domain rules
      assertThat(mixed.contains("203.0.113.5")).isFalse();
      assertThat(sets.named(DomainSets.Kind.RULE_SET, "ads")).isSameAs(ads);
    }
  }

  @Test
  void ipRangesAndUnknownProvidersAreNoDomainSets() throws Exception {
    try (RuleSets sets = new RuleSets(config(""))) {
      assertThatThrownBy(() -> sets.named(DomainSets.Kind.RULE_SET, "nets"))
          .hasMessageContaining("holds IP ranges");
      assertThatThrownBy(() -> sets.named(DomainSets.Kind.RULE_SET, "nope"))
          .hasMessageContaining("no rule provider named nope");
    }
  }

  @Test
  void countriesComeFromTheGeoipDatabase() throws Exception {
    try (RuleSets sets = new RuleSets(config(""))) {
      assertThat(sets.inCountry(InetAddress.getByName("203.0.113.5"), "cn")).isTrue();
      assertThat(sets.inCountry(InetAddress.getByName("198.51.100.5"), "CN")).isFalse();
      assertThat(sets.inCountry(InetAddress.getByName("198.51.100.5"), "US")).isTrue();
    }
  }

  @Test
  void checkFindsMissingSetsAndWarnsOfUnknownOutbounds() throws Exception {
    TurnoutConfig config =
        config(
            String.join(
                "\n",
                "  fake-ip-filter: ['rule-set:ads', 'rule-set:nets']",
                "  nameserver-policy:",
                "    'rule-set:nope': 192.0.2.54",
                "    '+.corp.test': 'tls://192.0.2.55#Missing'"));
    Problems problems = new Problems(config.file().toString());
    DnsAssembly.check(config, Set.of("DIRECT", "Proxy"), problems);
    assertThat(problems.errors())
        .extracting(Problem::message)
        .containsExactlyInAnyOrder(
            "rule-set:nets holds IP ranges (behavior: ipcidr), not domains",
            "rule-set:nope: no rule provider named nope");
    // A name after # that is no proxy or group may be Clash's interface form: a warning.
    assertThat(problems.sorted())
        .extracting(Problem::message)
        .anyMatch(m -> m.startsWith("tls://192.0.2.55#Missing: no proxy or group named Missing;"));
    assertThat(problems.errors())
        .filteredOn(p -> p.message().contains("nope"))
        .singleElement()
        .extracting(Problem::line)
        .isEqualTo(6); // the policy key's line
  }
}
