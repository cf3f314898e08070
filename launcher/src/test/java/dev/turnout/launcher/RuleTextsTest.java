package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.relay.Router;
import org.junit.jupiter.api.Test;

class RuleTextsTest {
  @Test
  void rulesSplitIntoMihomosTypePayloadAndPolicy() {
    assertThat(RuleTexts.split("DOMAIN-SUFFIX,example.com,Proxy", true))
        .isEqualTo(new RuleTexts.Parts("DomainSuffix", "example.com", "Proxy"));
    assertThat(RuleTexts.split("IP-CIDR,192.0.2.0/24,DIRECT,no-resolve", true))
        .isEqualTo(new RuleTexts.Parts("IPCIDR", "192.0.2.0/24", "DIRECT"));
    assertThat(RuleTexts.split("MATCH,DIRECT", true))
        .isEqualTo(new RuleTexts.Parts("Match", "", "DIRECT"));
    assertThat(RuleTexts.split("AND,((NETWORK,udp),(DST-PORT,443)),REJECT", true))
        .isEqualTo(new RuleTexts.Parts("AND", "((NETWORK,udp),(DST-PORT,443))", "REJECT"));
    assertThat(RuleTexts.split("dst-port,443", false))
        .isEqualTo(new RuleTexts.Parts("DstPort", "443", ""));
    assertThat(RuleTexts.typeName("SOME-NEW-TYPE")).isEqualTo("SomeNewType");
  }

  @Test
  void aConnectionsRuleIsNamedLikeMihomos() {
    assertThat(
            LiveConnections.rule(
                new Router.Route("Proxy", "DOMAIN-SUFFIX,example.test", "c.yaml:3", null)))
        .containsExactly("DomainSuffix", "example.test");
    assertThat(
            LiveConnections.rule(
                new Router.Route(
                    "REJECT",
                    "+.ads.test",
                    "provider ads: entry 3 (ads.txt:3) via RULE-SET,ads,REJECT (c.yaml:4)",
                    null)))
        .containsExactly("RuleSet", "ads");
    assertThat(LiveConnections.rule(new Router.Route("GLOBAL", "(mode GLOBAL)", "mode", null)))
        .containsExactly("", "");
    assertThat(
            LiveConnections.rule(new Router.Route("DIRECT", "(no rule matched)", "default", null)))
        .containsExactly("", "");
  }
}
