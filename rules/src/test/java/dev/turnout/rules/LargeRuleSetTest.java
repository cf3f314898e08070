package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rule set the size of the public Clash lists loads quickly and answers sampled names right, both
 * as config rules and as rule providers in YAML.
 */
class LargeRuleSetTest {
  @TempDir Path dir;

  @Test
  void hundredThousandConfigRulesAnswerSampledNames() throws Exception {
    SyntheticRules s = new SyntheticRules(100_000, 10_000, 100, 7);
    long t0 = System.nanoTime();
    RuleEngine e =
        RuleEngine.builder()
            .rules(s.ruleLines())
            .policies(List.of("Proxy", "DIRECT", "REJECT", "P1", "P2"))
            .build();
    long loadMs = (System.nanoTime() - t0) / 1_000_000;
    System.out.println("loaded " + e.stats() + " in " + loadMs + " ms");
    assertThat(loadMs).as("load time").isLessThan(10_000); // ~0.5 s here; generous for CI
    assertThat(e.stats()).contains("100000 domain patterns", "100 keywords", "10000 CIDRs");

    Random rnd = new Random(1);
    for (int i = 0; i < 2_000; i++) {
      int k = rnd.nextInt(s.domains.size());
      int line = s.domainLine.get(k);
      Decision d = e.decide(Fixtures.host("img." + s.domains.get(k)));
      assertThat(d.source()).isEqualTo("big.yaml:" + (line + 1));
      assertThat(d.rule() + "," + d.policy()).isEqualTo(s.lines.get(line));
    }
    for (int i = 0; i < 100; i++) {
      int line = s.keywordLine.get(i);
      Decision d = e.decide(Fixtures.host("x" + s.keywords.get(i) + "y.com"));
      assertThat(d.source()).isEqualTo("big.yaml:" + (line + 1));
    }
    List<Addresses.Prefix> prefixes = new ArrayList<>();
    s.cidrs.forEach(c -> prefixes.add(Addresses.parsePrefix(c)));
    for (int i = 0; i < 300; i++) {
      int k = rnd.nextInt(s.cidrs.size());
      String ip = s.cidrs.get(k).replaceAll("/.*", "");
      Decision d = e.decide(Fixtures.tcp(ip, 443));
      // an earlier, shorter CIDR may contain it too: the first rule containing it must win
      int expected = Integer.MAX_VALUE;
      Ip addr = Ip.of(Fixtures.ip(ip));
      for (int j = 0; j < s.cidrs.size(); j++) {
        if (prefixes.get(j).contains(addr)) {
          expected = Math.min(expected, s.cidrLine.get(j));
        }
      }
      assertThat(d.source()).isEqualTo("big.yaml:" + (expected + 1));
    }
    assertThat(e.decide(Fixtures.host("nothing.example")).policy()).isEqualTo("P2");
  }

  @Test
  void largeYamlProvidersLoadAndAnswer() throws Exception {
    SyntheticRules s = new SyntheticRules(60_000, 5_000, 0, 11);
    StringBuilder doms = new StringBuilder("payload:\n");
    s.domains.forEach(d -> doms.append("  - '+.").append(d).append("'\n"));
    StringBuilder ips = new StringBuilder("payload:\n");
    s.cidrs.forEach(c -> ips.append("  - '").append(c).append("'\n"));
    Files.writeString(dir.resolve("proxy.yaml"), doms);
    Files.writeString(dir.resolve("cncidr.yaml"), ips);
    List<ProviderSpec> specs = new ArrayList<>();
    specs.add(spec("proxy", Behavior.DOMAIN));
    specs.add(spec("cncidr", Behavior.IPCIDR));
    RuleEngine e =
        RuleEngine.builder()
            .rules(
                Fixtures.lines(
                    "DOMAIN,direct.example,DIRECT",
                    "RULE-SET,proxy,Proxy",
                    "RULE-SET,cncidr,DIRECT,no-resolve",
                    "MATCH,P1"))
            .providers(specs)
            .policies(Fixtures.POLICIES)
            .build();
    Random rnd = new Random(3);
    for (int i = 0; i < 1_000; i++) {
      int k = rnd.nextInt(s.domains.size());
      Decision d = e.decide(Fixtures.host("a.b." + s.domains.get(k)));
      assertThat(d.policy()).isEqualTo("Proxy");
      assertThat(d.rule()).isEqualTo("+." + s.domains.get(k));
      assertThat(d.source())
          .isEqualTo(
              "provider proxy: entry "
                  + (k + 1)
                  + " ("
                  + dir.resolve("proxy.yaml")
                  + ":"
                  + (k + 2)
                  + ")");
    }
    String ip = s.cidrs.get(0).replaceAll("/.*", "");
    assertThat(e.decide(Fixtures.tcp(ip, 1)).policy()).isEqualTo("DIRECT");
    assertThat(e.decide(Fixtures.host("unlisted.example")).policy()).isEqualTo("P1");
  }

  private ProviderSpec spec(String name, Behavior b) {
    return new ProviderSpec(
        name, Type.FILE, b, Format.YAML, dir.resolve(name + ".yaml"), null, Duration.ZERO, "c", 1);
  }
}
