package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problem;
import dev.turnout.config.Problems;
import dev.turnout.rules.ProviderSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sub-rules:, the geodata keys and rule-provider formats as mihomo configs write them. */
class RuleSettingsTest {
  @TempDir Path dir;

  private TurnoutConfig read(String yaml, Problems problems) {
    return ConfigLoader.read("test.yaml", dir.resolve("test.yaml"), yaml, problems);
  }

  @Test
  void subRulesAreListsOfRulesWithTheirLines() {
    Problems problems = new Problems("test.yaml");
    TurnoutConfig c =
        read(
            "dns:\n  nameserver: [192.0.2.1]\n"
                + "sub-rules:\n"
                + "  web:\n"
                + "    - DOMAIN,a.example,DIRECT\n"
                + "    - MATCH,REJECT\n"
                + "rules:\n  - SUB-RULE,(DST-PORT,443),web\n",
            problems);
    assertThat(problems.sorted()).isEmpty();
    assertThat(c.subRules().get("web"))
        .extracting(r -> r.text() + "@" + r.line())
        .containsExactly("DOMAIN,a.example,DIRECT@5", "MATCH,REJECT@6");
  }

  @Test
  void geodataKeysAreRead() throws Exception {
    Files.write(dir.resolve("GeoSite.dat"), new byte[0]);
    Files.write(dir.resolve("geoip.dat"), new byte[0]);
    Files.write(dir.resolve("Country.mmdb"), new byte[0]);
    Problems problems = new Problems("test.yaml");
    TurnoutConfig c =
        read(
            "dns:\n  nameserver: [192.0.2.1]\n"
                + "geodata-mode: true\n"
                + "geodata-loader: memconservative\n"
                + "geosite-matcher: succinct\n"
                + "geo-auto-update: true\n"
                + "geox-url:\n"
                + "  geosite: https://example.invalid/geosite.dat\n"
                + "  mmdb: https://example.invalid/country.mmdb\n",
            problems);
    assertThat(c.files().geositeDatabase()).isEqualTo(dir.resolve("GeoSite.dat"));
    assertThat(c.files().geodataMode()).isTrue();
    assertThat(c.files().geoipDatabase()).isEqualTo(dir.resolve("geoip.dat")); // any case
    assertThat(c.files().geoUpdateInterval()).isEqualTo(Duration.ofHours(24));
    assertThat(c.files().geoxUrls())
        .containsEntry("geosite", "https://example.invalid/geosite.dat")
        .containsEntry("mmdb", "https://example.invalid/country.mmdb");
    assertThat(problems.hasErrors()).isFalse();
    assertThat(problems.sorted()).isEmpty();
    // without geodata-mode the .mmdb; without geo-auto-update no interval, whatever it says
    c = read("dns:\n  nameserver: [192.0.2.1]\ngeo-update-interval: 6\n", problems);
    assertThat(c.files().geoipDatabase()).isEqualTo(dir.resolve("Country.mmdb"));
    assertThat(c.files().geoUpdateInterval()).isNull();
    c =
        read(
            "dns:\n  nameserver: [192.0.2.1]\ngeo-auto-update: true\ngeo-update-interval: 6\n",
            problems);
    assertThat(c.files().geoUpdateInterval()).isEqualTo(Duration.ofHours(6));
    assertThat(problems.sorted()).isEmpty();
    read(
        "dns:\n  nameserver: [192.0.2.1]\ngeo-auto-update: true\ngeo-update-interval: 0\n",
        problems);
    assertThat(problems.sorted())
        .extracting(Problem::toString)
        .anyMatch(p -> p.contains("geo-update-interval"));
  }

  @Test
  void geositeDatabaseKeyWinsAndNoneFoundIsNull() {
    Problems problems = new Problems("test.yaml");
    assertThat(read("dns:\n  nameserver: [192.0.2.1]\n", problems).files().geositeDatabase())
        .isNull();
    TurnoutConfig c =
        read("dns:\n  nameserver: [192.0.2.1]\ngeosite-database: data/sites.dat\n", problems);
    assertThat(c.files().geositeDatabase()).isEqualTo(dir.resolve("data/sites.dat"));
  }

  @Test
  void providersInlineFormatAbsentAndMrs() {
    Problems problems = new Problems("test.yaml");
    TurnoutConfig c =
        read(
            "dns:\n  nameserver: [192.0.2.1]\n"
                + "rule-providers:\n"
                + "  google:\n"
                + "    type: file\n"
                + "    behavior: classical\n"
                + "    path: ./Google.list\n"
                + "  cn:\n"
                + "    type: http\n"
                + "    behavior: domain\n"
                + "    format: mrs\n"
                + "    url: https://example.invalid/cn.mrs\n"
                + "  mine:\n"
                + "    type: inline\n"
                + "    behavior: domain\n"
                + "    payload:\n"
                + "      - '+.inline.example'\n"
                + "      - 'exact.example'\n",
            problems);
    assertThat(problems.sorted()).isEmpty();
    List<ProviderSpec> specs = c.ruleProviders();
    assertThat(specs.get(0).format()).isEqualTo(ProviderSpec.Format.AUTO);
    assertThat(specs.get(1).format()).isEqualTo(ProviderSpec.Format.MRS);
    assertThat(specs.get(2).type()).isEqualTo(ProviderSpec.Type.INLINE);
    assertThat(specs.get(2).payload())
        .extracting(l -> l.text() + "@" + l.line())
        .containsExactly("+.inline.example@17", "exact.example@18");
  }

  @Test
  void providerProxyAndSizeLimitAreRead() {
    Problems problems = new Problems("test.yaml");
    TurnoutConfig c =
        read(
            "dns:\n  nameserver: [192.0.2.1]\n"
                + "rule-providers:\n  x:\n    type: http\n    behavior: domain\n"
                + "    url: https://example.invalid/x.yaml\n    proxy: Proxy\n    size-limit: 1000\n"
                + "  y: {type: http, behavior: domain, url: 'https://example.invalid/y', proxy: DIRECT}\n",
            problems);
    assertThat(problems.sorted()).isEmpty();
    assertThat(c.ruleProviders())
        .extracting(ProviderSpec::name, ProviderSpec::proxy, ProviderSpec::sizeLimit)
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple("x", "Proxy", 1000L),
            org.assertj.core.groups.Tuple.tuple("y", null, 0L));
  }

  @Test
  void mrsOfClassicalIsRefused() {
    Problems problems = new Problems("test.yaml");
    read(
        "dns:\n  nameserver: [192.0.2.1]\n"
            + "rule-providers:\n  x:\n    type: file\n    behavior: classical\n"
            + "    format: mrs\n    path: x.mrs\n",
        problems);
    assertThat(problems.errors())
        .extracting(Problem::toString)
        .singleElement()
        .asString()
        .contains("mrs holds only domain and ipcidr lists");
  }
}
