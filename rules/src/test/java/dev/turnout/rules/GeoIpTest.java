package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.HostResolver;
import dev.turnout.rules.Fixtures.RecordingResolver;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GEOIP and IP-ASN through MaxMind's reader, and GEOIP from a v2fly GeoIP.dat, on databases the
 * test writes.
 */
class GeoIpTest {
  @TempDir static Path dir;
  static Path country;
  static Path singGeoip;
  static Path asn;
  static Path dat;

  @BeforeAll
  static void writeDatabases() throws Exception {
    country = dir.resolve("Country.mmdb");
    new MmdbWriter("GeoLite2-Country")
        .put("1.0.1.0/24", Map.of("country", Map.of("iso_code", "CN", "geoname_id", 1814991L)))
        .put("8.8.8.0/24", Map.of("country", Map.of("iso_code", "US")))
        .put("2400:da00::/32", Map.of("country", Map.of("iso_code", "CN")))
        .put("203.0.113.0/24", Map.of("registered_country", Map.of("iso_code", "JP")))
        .write(country);
    singGeoip = dir.resolve("sing.mmdb");
    new MmdbWriter("sing-geoip").put("1.0.1.0/24", "cn").write(singGeoip);
    asn = dir.resolve("ASN.mmdb");
    new MmdbWriter("GeoLite2-ASN")
        .put(
            "1.1.1.0/24",
            Map.of(
                "autonomous_system_number",
                13335L,
                "autonomous_system_organization",
                "CLOUDFLARENET"))
        .put("8.8.8.0/24", Map.of("autonomous_system_number", 15169L))
        .write(asn);
    dat = dir.resolve("GeoIP.dat");
    new GeoIpWriter()
        .list("CN", "1.0.1.0/24", "2400:da00::/32", "::ffff:36.0.0.0/110")
        .list("telegram", "91.108.4.0/22", "2001:b28:f23d::/48")
        .reversed("not-private", "10.0.0.0/8", "192.168.0.0/16")
        .list("all", "0.0.0.0/0")
        .write(dat);
  }

  private static RuleEngine engine(Path db, HostResolver dns, String... rules) throws Exception {
    return RuleEngine.builder()
        .rules(Fixtures.lines(rules))
        .policies(Fixtures.POLICIES)
        .options(new RulesOptions(db, asn, null, List.of()))
        .resolver(dns)
        .build();
  }

  @Test
  void countryFromMaxMindRecords() throws Exception {
    try (RuleEngine e = engine(country, HostResolver.NONE, "GEOIP,cn,P1", "GEOIP,US,P2")) {
      assertThat(e.decide(tcp("1.0.1.7", 443)).policy()).isEqualTo("P1");
      assertThat(e.decide(tcp("2400:da00::1", 443)).policy()).isEqualTo("P1");
      assertThat(e.decide(tcp("8.8.8.8", 53)).policy()).isEqualTo("P2");
      assertThat(e.decide(tcp("203.0.113.9", 1)).fallback()).isTrue(); // no country.iso_code
      assertThat(e.decide(tcp("9.9.9.9", 1)).fallback()).isTrue();
    }
  }

  @Test
  void countryFromSingGeoipStrings() throws Exception {
    try (RuleEngine e = engine(singGeoip, HostResolver.NONE, "GEOIP,CN,P1")) {
      assertThat(e.decide(tcp("1.0.1.1", 443)).policy()).isEqualTo("P1");
    }
  }

  @Test
  void lanNeedsNoDatabase() throws Exception {
    RuleEngine e = Fixtures.engine("GEOIP,LAN,DIRECT", "MATCH,Proxy");
    assertThat(e.decide(tcp("192.168.3.4", 1)).policy()).isEqualTo("DIRECT");
    assertThat(e.decide(tcp("fd00::1", 1)).policy()).isEqualTo("DIRECT");
    assertThat(e.decide(tcp("100.64.0.1", 1)).policy()).isEqualTo("DIRECT");
    assertThat(e.decide(tcp("8.8.8.8", 1)).policy()).isEqualTo("Proxy");
  }

  @Test
  void geoipResolvesNamesUnlessNoResolve() throws Exception {
    RecordingResolver dns = new RecordingResolver().answer("baidu.com", "1.0.1.5");
    try (RuleEngine e = engine(country, dns, "GEOIP,CN,P1,no-resolve", "MATCH,P2")) {
      assertThat(e.decide(host("baidu.com")).policy()).isEqualTo("P2");
      assertThat(dns.calls).isEmpty();
    }
    try (RuleEngine e = engine(country, dns, "DOMAIN,x.com,P3", "GEOIP,CN,P1", "MATCH,P2")) {
      Decision d = e.decide(host("baidu.com"));
      assertThat(d.policy()).isEqualTo("P1");
      assertThat(d.describe()).isEqualTo("P1 <- GEOIP,CN (config.yaml:11) [resolved 1.0.1.5]");
      assertThat(dns.calls).containsExactly("baidu.com");
    }
  }

  @Test
  void geoipBeforeResolvePointIsRecheckedAfterIt() throws Exception {
    RecordingResolver dns = new RecordingResolver().answer("baidu.com", "1.0.1.5");
    try (RuleEngine e =
        engine(country, dns, "GEOIP,US,P1,no-resolve", "IP-CIDR,9.0.0.0/8,P2", "GEOIP,CN,P3")) {
      assertThat(e.decide(host("baidu.com")).policy()).isEqualTo("P3");
    }
  }

  @Test
  void ipAsn() throws Exception {
    try (RuleEngine e =
        engine(country, HostResolver.NONE, "IP-ASN,13335,P1", "IP-ASN,AS15169,P2")) {
      assertThat(e.decide(tcp("1.1.1.1", 443)).policy()).isEqualTo("P1");
      assertThat(e.decide(tcp("8.8.4.4", 443)).fallback()).isTrue();
      assertThat(e.decide(tcp("8.8.8.8", 443)).policy()).isEqualTo("P2");
    }
  }

  @Test
  void geoipInsideLogic() throws Exception {
    try (RuleEngine e =
        engine(country, HostResolver.NONE, "AND,((GEOIP,CN),(NOT,((DST-PORT,80)))),P1")) {
      assertThat(e.decide(tcp("1.0.1.1", 443)).policy()).isEqualTo("P1");
      assertThat(e.decide(tcp("1.0.1.1", 80)).fallback()).isTrue();
    }
  }

  @Test
  void geoipFromGeoIpDatByListName() throws Exception {
    try (RuleEngine e =
        engine(
            dat,
            HostResolver.NONE,
            "GEOIP,cn,P1",
            "GEOIP,TELEGRAM,P2",
            "GEOIP,not-private,P3",
            "MATCH,DIRECT")) {
      assertThat(e.decide(tcp("1.0.1.7", 443)).policy()).isEqualTo("P1");
      assertThat(e.decide(tcp("2400:da00::1", 443)).policy()).isEqualTo("P1");
      assertThat(e.decide(tcp("36.1.2.3", 443)).policy()).isEqualTo("P1"); // ::ffff:36.0.0.0/110
      assertThat(e.decide(tcp("91.108.6.1", 443)).policy()).isEqualTo("P2");
      assertThat(e.decide(tcp("2001:b28:f23d::9", 443)).policy()).isEqualTo("P2");
      assertThat(e.decide(tcp("8.8.8.8", 443)).policy()).isEqualTo("P3"); // reverse_match
      assertThat(e.decide(tcp("192.168.1.1", 443)).policy()).isEqualTo("DIRECT");
      assertThat(e.decide(tcp("10.1.1.1", 443)).policy()).isEqualTo("DIRECT");
    }
  }

  @Test
  void geoIpDatWithoutTheListIsAProblemNamingIt() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> engine(dat, HostResolver.NONE, "GEOIP,netflix,P1"))
        .isInstanceOf(RuleException.class)
        .hasMessageContaining("the GeoIP.dat has no list 'netflix'");
  }

  @Test
  void aFileThatIsNeitherMmdbNorGeoIpDatIsAProblem() throws Exception {
    Path junk = java.nio.file.Files.writeString(dir.resolve("junk.dat"), "not a database\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> engine(junk, HostResolver.NONE, "GEOIP,CN,P1"))
        .isInstanceOf(RuleException.class)
        .hasMessageContaining("not a GeoIP.dat");
  }

  @Test
  void missingDatabaseIsAProblem() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> engine(dir.resolve("missing.mmdb"), HostResolver.NONE, "GEOIP,CN,P1"))
        .isInstanceOf(RuleException.class)
        .hasMessageContaining("missing.mmdb");
  }
}
