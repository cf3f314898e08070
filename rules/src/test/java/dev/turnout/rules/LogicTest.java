package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.engine;
import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LogicTest {

  @Test
  void andOrNot() throws Exception {
    RuleEngine e =
        engine(
            "AND,((DOMAIN-SUFFIX,a.com),(DST-PORT,443)),P1",
            "OR,((DOMAIN,b.com),(DST-PORT,22)),P2",
            "NOT,((NETWORK,tcp)),P3",
            "MATCH,P4");
    assertThat(e.decide(tcp("x.a.com", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("x.a.com", 80)).policy()).isEqualTo("P4");
    assertThat(e.decide(tcp("b.com", 80)).policy()).isEqualTo("P2");
    assertThat(e.decide(tcp("c.com", 22)).policy()).isEqualTo("P2");
    ConnectionInfo udp = ConnectionInfo.builder(Network.UDP).host("c.com").build();
    assertThat(e.decide(udp).policy()).isEqualTo("P3");
  }

  @Test
  void nestedLogicWithSpacesAndRegexParentheses() throws Exception {
    RuleEngine e =
        engine(
            "AND, ((OR,((DOMAIN,a.com),(DOMAIN-REGEX,^(x|y)\\.b\\.com$))), (NOT,((DST-PORT,80)))),"
                + " P1",
            "MATCH,P2");
    assertThat(e.decide(tcp("a.com", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("y.b.com", 443)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("y.b.com", 80)).policy()).isEqualTo("P2");
    assertThat(e.decide(tcp("z.b.com", 443)).policy()).isEqualTo("P2");
    assertThat(e.decide(tcp("a.com", 443)).rule())
        .isEqualTo(
            "AND,((OR,((DOMAIN,a.com),(DOMAIN-REGEX,^(x|y)\\.b\\.com$))), (NOT,((DST-PORT,80))))");
  }

  @Test
  void logicBeforeIndexedRuleWins() throws Exception {
    RuleEngine e = engine("AND,((DOMAIN-KEYWORD,ex),(NETWORK,tcp)),P1", "DOMAIN,example.com,P2");
    assertThat(e.decide(host("example.com")).policy()).isEqualTo("P1");
  }

  @Test
  void logicWithIpRuleResolvesOnlyWhenReached() throws Exception {
    Fixtures.RecordingResolver dns = new Fixtures.RecordingResolver().answer("a.com", "10.0.0.1");
    RuleEngine e =
        engine(dns, "DOMAIN,b.com,P1", "AND,((IP-CIDR,10.0.0.0/8),(DST-PORT,443)),P2", "MATCH,P3");
    assertThat(e.decide(host("b.com")).policy()).isEqualTo("P1");
    assertThat(dns.calls).isEmpty();
    assertThat(e.decide(host("a.com")).policy()).isEqualTo("P2");
    assertThat(dns.calls).containsExactly("a.com");
  }

  @Test
  void noResolveInsideLogicDoesNotResolve() throws Exception {
    Fixtures.RecordingResolver dns = new Fixtures.RecordingResolver().answer("a.com", "10.0.0.1");
    RuleEngine e = engine(dns, "OR,((IP-CIDR,10.0.0.0/8,no-resolve),(DST-PORT,1)),P2", "MATCH,P3");
    assertThat(e.decide(host("a.com")).policy()).isEqualTo("P3");
    assertThat(dns.calls).isEmpty();
  }
}
