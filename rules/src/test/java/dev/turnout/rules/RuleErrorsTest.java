package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.rules.RuleException.Problem;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuleErrorsTest {

  private static List<Problem> problems(String... rules) {
    try {
      Fixtures.engine(rules);
    } catch (RuleException e) {
      return e.problems();
    }
    throw new AssertionError("expected a RuleException");
  }

  @Test
  void messageNamesFileLineTextAndProblem() {
    assertThatThrownBy(() -> Fixtures.engine("DOMAIN,a.com,Proxy", "IP-CIDR,10.0.0.0/33,Proxy"))
        .isInstanceOf(RuleException.class)
        .hasMessage(
            "config.yaml:11: prefix length out of range 0..32: '10.0.0.0/33':"
                + " IP-CIDR,10.0.0.0/33,Proxy");
  }

  @Test
  void collectsEveryProblem() {
    List<Problem> p =
        problems(
            "DOMAIN,a.com,Proxy",
            "DOMAIN-SUFFIX,b.com,proxy",
            "BOGUS,x,Proxy",
            "DST-PORT,99999,Proxy",
            "RULE-SET,nope,Proxy",
            "DOMAIN,a b.com,Proxy",
            "DOMAIN-REGEX,(unclosed,Proxy",
            "IP-CIDR,1.2.3.4/24,Proxy,no-resolv",
            "NOT,((DOMAIN,a.com),(DOMAIN,b.com)),Proxy",
            "AND,((DOMAIN,a.com),Proxy",
            "NETWORK,icmp,Proxy",
            "GEOIP,CN,Proxy",
            "DOMAIN,a.com",
            "MATCH,Nowhere");
    assertThat(p)
        .extracting(Problem::where)
        .containsExactly(
            "config.yaml:11",
            "config.yaml:12",
            "config.yaml:13",
            "config.yaml:14",
            "config.yaml:15",
            "config.yaml:16",
            "config.yaml:17",
            "config.yaml:18",
            "config.yaml:19",
            "config.yaml:20",
            "config.yaml:21",
            "config.yaml:22",
            "config.yaml:23");
    assertThat(p)
        .extracting(Problem::message)
        .containsExactly(
            "unknown policy 'proxy' (did you mean 'Proxy'?)",
            "unknown rule type 'BOGUS'; a rule Turnout cannot evaluate is an error, not skipped:"
                + " skipping it would route differently from what is written",
            "not a port: '99999'",
            "unknown rule provider 'nope'",
            "invalid character ' ' in domain 'a b.com'",
            "bad regular expression: Unclosed group",
            "unknown option 'no-resolv'",
            "NOT takes exactly one rule",
            "unbalanced parentheses",
            "NETWORK is tcp or udp, not 'icmp'",
            "GEOIP needs a country database: a Country.mmdb beside the config (GeoIP.dat with"
                + " geodata-mode: true), or geoip-database (run downloads a missing one from"
                + " geox-url first)",
            "missing policy",
            "unknown policy 'Nowhere'");
    assertThat(p.get(0).text()).isEqualTo("DOMAIN-SUFFIX,b.com,proxy");
  }

  @Test
  void lenientWhereClashIs() throws Exception {
    RuleEngine e =
        Fixtures.engine(
            "domain-suffix,.example.com,Proxy", "IP-CIDR,192.0.2.1,P1", "DOMAIN,Bücher.de,P2");
    assertThat(e.decide(Fixtures.host("a.example.com")).policy()).isEqualTo("Proxy");
    assertThat(e.decide(Fixtures.tcp("192.0.2.1", 1)).policy()).isEqualTo("P1");
    assertThat(e.decide(Fixtures.host("xn--bcher-kva.de")).policy()).isEqualTo("P2");
  }
}
