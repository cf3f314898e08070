package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GEOSITE rules and geosite: domain sets over a geosite.dat the test writes itself. */
class GeoSiteTest {
  @TempDir Path dir;
  Path dat;

  @BeforeEach
  void writeDat() throws Exception {
    dat =
        new GeoSiteWriter()
            .list(
                "CN",
                "domain:example.cn",
                "full:exact.example.com",
                "keyword:baidu",
                "regexp:^img[0-9]+\\.example\\.org$",
                "domain:ads.example.net @ads",
                "domain:game.example.net @!cn")
            .list("GOOGLE", "domain:google.example")
            .list("geolocation-!cn", "domain:abroad.example")
            .write(dir.resolve("geosite.dat"));
  }

  private RuleEngine engine(String... rules) throws RuleException {
    return RuleEngine.builder()
        .rules(Fixtures.lines(rules))
        .policies(Fixtures.POLICIES)
        .options(new RulesOptions(null, null, null, List.of(), dat))
        .build();
  }

  @Test
  void theFileIsIndexedByListNameAndDecodesEveryDomainType() throws Exception {
    GeoSiteFile f = GeoSiteFile.open(dat);
    assertThat(f.size()).isEqualTo(3);
    List<GeoSiteFile.Entry> cn = f.list("cn").orElseThrow();
    assertThat(cn)
        .extracting(GeoSiteFile.Entry::text)
        .containsExactly(
            "domain:example.cn",
            "full:exact.example.com",
            "keyword:baidu",
            "regexp:^img[0-9]+\\.example\\.org$",
            "domain:ads.example.net",
            "domain:game.example.net");
    assertThat(cn.get(4).attributes()).containsExactly("ads");
    assertThat(cn.get(5).attributes()).containsExactly("!cn");
    assertThat(f.list("nope")).isEmpty();
  }

  @Test
  void damagedFilesAreRefusedNotMisread() {
    byte[] good = new GeoSiteWriter().list("CN", "domain:a.cn").bytes();
    byte[] cut = java.util.Arrays.copyOf(good, good.length - 3);
    assertThatThrownBy(() -> GeoSiteFile.of(dir, ByteBuffer.wrap(cut)))
        .hasMessageContaining("not a geosite.dat");
    byte[] text = "payload:\n  - a.com\n".getBytes();
    assertThatThrownBy(() -> GeoSiteFile.of(dir, ByteBuffer.wrap(text)))
        .hasMessageContaining("not a geosite.dat");
  }

  @Test
  void geositeRulesMatchEachDomainTypeInFirstMatchOrder() throws Exception {
    RuleEngine e =
        engine(
            "DOMAIN,www.example.cn,P3",
            "GEOSITE,cn,P1",
            "DOMAIN-SUFFIX,example.com,P2",
            "GEOSITE,GOOGLE,P4",
            "MATCH,DIRECT");
    assertThat(e.decide(host("www.example.cn")).policy()).isEqualTo("P3"); // earlier rule
    assertThat(e.decide(host("a.example.cn")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("example.cn")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("exact.example.com")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("other.example.com")).policy()).isEqualTo("P2");
    assertThat(e.decide(host("www.baidu.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("img42.example.org")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("img.example.org")).policy()).isEqualTo("DIRECT");
    assertThat(e.decide(host("mail.google.example")).policy()).isEqualTo("P4");
    Decision d = e.decide(host("a.example.cn"));
    assertThat(d.rule()).isEqualTo("domain:example.cn");
    assertThat(d.source()).isEqualTo("geosite cn: entry 1 (" + dat + ")");
    assertThat(d.ruleSet()).isEqualTo("GEOSITE,cn,P1 (config.yaml:11)");
  }

  @Test
  void attributesNegationAndSeveralLists() throws Exception {
    RuleEngine e =
        engine(
            "GEOSITE,cn@ads,P1",
            "GEOSITE,cn@!cn,P2",
            "GEOSITE,geolocation-!cn/google,P3",
            "AND,((GEOSITE,!cn),(DST-PORT,443)),P4",
            "MATCH,DIRECT");
    assertThat(e.decide(host("x.ads.example.net")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("game.example.net")).policy()).isEqualTo("P2");
    assertThat(e.decide(host("abroad.example")).policy()).isEqualTo("P3");
    assertThat(e.decide(host("google.example")).policy()).isEqualTo("P3");
    assertThat(e.decide(host("elsewhere.example")).policy()).isEqualTo("P4");
    assertThat(e.decide(host("example.cn")).policy()).isEqualTo("DIRECT");
  }

  @Test
  void missingDatabaseOrListIsAClearError() throws Exception {
    assertThatThrownBy(
            () -> RuleEngine.builder().rules(Fixtures.lines("GEOSITE,cn,DIRECT")).build())
        .isInstanceOf(RuleException.class)
        .hasMessageContaining("config.yaml:10")
        .hasMessageContaining("GEOSITE needs a geosite.dat")
        .hasMessageContaining("downloads a missing one from geox-url");
    assertThatThrownBy(
            () ->
                RuleEngine.builder()
                    .rules(Fixtures.lines("GEOSITE,cn,DIRECT"))
                    .options(new RulesOptions(null, null, null, List.of(), dir.resolve("no.dat")))
                    .build())
        .hasMessageContaining("no.dat");
    assertThatThrownBy(() -> engine("GEOSITE,netflix,P1"))
        .hasMessageContaining("no list 'netflix' in " + dat);
  }

  @Test
  void domainSetsResolveGeositeAndRuleSetReferences() throws Exception {
    Path list = dir.resolve("direct.list");
    java.nio.file.Files.writeString(
        list, "# ACL4SSR style\nDOMAIN-SUFFIX,lan.example\nIP-CIDR,192.0.2.0/24\n");
    RuleEngine e =
        RuleEngine.builder()
            .rules(Fixtures.lines("MATCH,DIRECT"))
            .providers(
                List.of(
                    new ProviderSpec(
                        "direct",
                        ProviderSpec.Type.FILE,
                        ProviderSpec.Behavior.CLASSICAL,
                        ProviderSpec.Format.AUTO,
                        list,
                        null,
                        null,
                        "config.yaml",
                        3)))
            .options(new RulesOptions(null, null, null, List.of(), dat))
            .build();
    DomainSets sets = e.domainSets();
    DomainSet cn = sets.resolve("geosite:cn");
    assertThat(cn.contains("WWW.Example.CN.")).isTrue();
    assertThat(cn.contains("google.example")).isFalse();
    assertThat(sets.resolve("GEOSITE:!cn").contains("google.example")).isTrue();
    assertThat(sets.resolve("geosite:cn@ads").contains("ads.example.net")).isTrue();
    assertThat(sets.resolve("geosite:cn@ads").contains("example.cn")).isFalse();
    DomainSet direct = sets.resolve("rule-set:direct");
    assertThat(direct.contains("a.lan.example")).isTrue();
    assertThat(direct.contains("192.0.2.1")).isFalse(); // only domain entries count
    assertThatThrownBy(() -> sets.resolve("rule-set:none")).hasMessageContaining("none");
    assertThatThrownBy(() -> sets.resolve("geosite:none")).hasMessageContaining("no list");
    assertThatThrownBy(() -> sets.resolve("cn")).isInstanceOf(IllegalArgumentException.class);
  }
}
