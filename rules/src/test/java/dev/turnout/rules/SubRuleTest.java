package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** SUB-RULE with top-level sub-rules: lists. */
class SubRuleTest {
  private static List<RuleLine> sub(int firstLine, String... rules) {
    List<RuleLine> out = new java.util.ArrayList<>();
    for (int i = 0; i < rules.length; i++) {
      out.add(new RuleLine(rules[i], "config.yaml", firstLine + i));
    }
    return out;
  }

  private static RuleEngine engine(Map<String, List<RuleLine>> subRules, String... rules)
      throws RuleException {
    return RuleEngine.builder()
        .rules(Fixtures.lines(rules))
        .subRules(subRules)
        .policies(Fixtures.POLICIES)
        .build();
  }

  @Test
  void theFirstMatchingSubRuleDecidesAndNoMatchGoesOn() throws Exception {
    Map<String, List<RuleLine>> subs = new LinkedHashMap<>();
    subs.put(
        "web",
        sub(
            40,
            "DOMAIN-REGEX,^ads\\.,REJECT",
            "DOMAIN-SUFFIX,ads.example.com,P1",
            "DOMAIN,x.com,P2"));
    RuleEngine e =
        engine(subs, "SUB-RULE,(DST-PORT,443),web", "DOMAIN-SUFFIX,example.com,P3", "MATCH,P4");
    // ads.example.com: the regex comes first in the list, though the suffix is indexed
    assertThat(e.decide(tcp("ads.example.com", 443)).policy()).isEqualTo("REJECT");
    assertThat(e.decide(tcp("a.ads.example.com", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("a.ads.example.com", 80)).policy()).isEqualTo("P3"); // no condition
    assertThat(e.decide(tcp("b.example.com", 443)).policy()).isEqualTo("P3"); // none in the list
    Decision d = e.decide(tcp("x.com", 443));
    assertThat(d.policy()).isEqualTo("P2");
    assertThat(d.rule()).isEqualTo("DOMAIN,x.com");
    assertThat(d.source()).isEqualTo("config.yaml:42");
    assertThat(d.ruleSet()).isEqualTo("SUB-RULE,(DST-PORT,443),web (config.yaml:10)");
  }

  @Test
  void nestedListsAndMatchInsideAList() throws Exception {
    Map<String, List<RuleLine>> subs = new LinkedHashMap<>();
    subs.put("outer", sub(40, "SUB-RULE,(NETWORK,tcp),inner", "MATCH,P2"));
    subs.put("inner", sub(50, "DOMAIN,a.com,P1"));
    RuleEngine e =
        engine(subs, "SUB-RULE,(AND,((DST-PORT,443),(DOMAIN-KEYWORD,a))),outer", "MATCH,P3");
    assertThat(e.decide(tcp("a.com", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("a.com", 443)).ruleSet())
        .isEqualTo(
            "SUB-RULE,(NETWORK,tcp),inner (config.yaml:40) in"
                + " SUB-RULE,(AND,((DST-PORT,443),(DOMAIN-KEYWORD,a))),outer (config.yaml:10)");
    assertThat(e.decide(tcp("b.a.net", 443)).policy()).isEqualTo("P2"); // MATCH of outer
    assertThat(e.decide(host("b.net")).policy()).isEqualTo("P3");
  }

  @Test
  void cyclesAndUnknownListsAreErrors() {
    Map<String, List<RuleLine>> subs = new LinkedHashMap<>();
    subs.put("a", sub(40, "SUB-RULE,(NETWORK,tcp),b"));
    subs.put("b", sub(50, "SUB-RULE,(NETWORK,udp),a"));
    assertThatThrownBy(() -> engine(subs, "SUB-RULE,(DST-PORT,443),a"))
        .isInstanceOf(RuleException.class)
        .hasMessageContaining("circular SUB-RULE references: a -> b -> a");
    assertThatThrownBy(() -> engine(Map.of(), "SUB-RULE,(DST-PORT,443),nope"))
        .hasMessageContaining("no sub-rules list named 'nope'");
    assertThatThrownBy(
            () -> engine(Map.of("s", sub(40, "MATCH,P1")), "AND,((SUB-RULE,(DST-PORT,1),s)),P1"))
        .hasMessageContaining("not allowed inside a logic rule");
  }

  @Test
  void aListUsedTwiceAtEveryLevelIsBounded() {
    Map<String, List<RuleLine>> subs = new LinkedHashMap<>();
    for (int i = 0; i < 25; i++) {
      String next = "l" + (i + 1);
      subs.put(
          "l" + i,
          i == 24
              ? sub(40, "MATCH,P1")
              : sub(40, "SUB-RULE,(NETWORK,tcp)," + next, "SUB-RULE,(NETWORK,udp)," + next));
    }
    assertThatThrownBy(() -> engine(subs, "SUB-RULE,(DST-PORT,443),l0"))
        .hasMessageContaining("expand to more than 1000000 rules");
  }

  @Test
  void subRulesThatResolveMakeTheSubRuleResolve() throws Exception {
    Fixtures.RecordingResolver dns = new Fixtures.RecordingResolver().answer("a.com", "192.0.2.1");
    RuleEngine e =
        RuleEngine.builder()
            .rules(Fixtures.lines("SUB-RULE,(DST-PORT,443),ip", "MATCH,P3"))
            .subRules(Map.of("ip", sub(40, "IP-CIDR,192.0.2.0/24,P1")))
            .policies(Fixtures.POLICIES)
            .resolver(dns)
            .build();
    assertThat(e.mayBlock()).isTrue();
    assertThat(e.decide(host("a.com")).policy()).isEqualTo("P1");
    assertThat(dns.calls).containsExactly("a.com");
  }
}
