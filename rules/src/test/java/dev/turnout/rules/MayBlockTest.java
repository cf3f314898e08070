package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which rule sets may block a decision: the relay runs only those off its event loops. */
class MayBlockTest {
  private static boolean mayBlock(String... rules) throws Exception {
    List<RuleLine> lines = new java.util.ArrayList<>();
    for (int i = 0; i < rules.length; i++) {
      lines.add(new RuleLine(rules[i], "test.yaml", i + 1));
    }
    try (RuleEngine engine =
        RuleEngine.builder()
            .rules(lines)
            .policies(Set.of("DIRECT", "REJECT", "REJECT-DROP"))
            .build()) {
      return engine.mayBlock();
    }
  }

  @Test
  void domainPortAndNoResolveIpRulesNeverBlock() throws Exception {
    assertThat(
            mayBlock(
                "DOMAIN-SUFFIX,example.com,REJECT",
                "DST-PORT,22,REJECT",
                "IP-CIDR,10.0.0.0/8,DIRECT,no-resolve",
                "MATCH,DIRECT"))
        .isFalse();
  }

  @Test
  void anIpRuleThatResolvesMayBlock() throws Exception {
    assertThat(mayBlock("IP-CIDR,10.0.0.0/8,DIRECT", "MATCH,DIRECT")).isTrue();
  }

  @Test
  void aProcessRuleMayBlockEvenInsideLogic() throws Exception {
    assertThat(mayBlock("PROCESS-NAME,curl,REJECT")).isTrue();
    assertThat(mayBlock("AND,((NETWORK,tcp),(NOT,((PROCESS-NAME,curl)))),REJECT")).isTrue();
  }
}
