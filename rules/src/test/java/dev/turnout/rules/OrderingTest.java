package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.engine;
import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.Fixtures.RecordingResolver;
import org.junit.jupiter.api.Test;

/** First match wins across rule types, whichever index each type lives in. */
class OrderingTest {

  @Test
  void laterSuffixDoesNotBeatEarlierCidr() throws Exception {
    RecordingResolver dns = new RecordingResolver().answer("www.example.com", "10.1.1.1");
    RuleEngine e = engine(dns, "IP-CIDR,10.0.0.0/8,P1", "DOMAIN-SUFFIX,example.com,P2", "MATCH,P3");
    Decision d = e.decide(host("www.example.com"));
    assertThat(d.policy()).isEqualTo("P1");
    assertThat(d.resolved()).containsExactly(Fixtures.ip("10.1.1.1"));
    assertThat(dns.calls).containsExactly("www.example.com");
  }

  @Test
  void earlierSuffixWinsWithoutResolving() throws Exception {
    RecordingResolver dns = new RecordingResolver().answer("www.example.com", "10.1.1.1");
    RuleEngine e = engine(dns, "DOMAIN-SUFFIX,example.com,P2", "IP-CIDR,10.0.0.0/8,P1");
    assertThat(e.decide(host("www.example.com")).policy()).isEqualTo("P2");
    assertThat(dns.calls).isEmpty();
  }

  @Test
  void exactDomainVersusSuffixVersusKeywordVersusRegex() throws Exception {
    RuleEngine e =
        engine(
            "DOMAIN-REGEX,^zz,P4",
            "DOMAIN-KEYWORD,tube,P3",
            "DOMAIN-SUFFIX,youtube.com,P2",
            "DOMAIN,www.youtube.com,P1");
    assertThat(e.decide(host("www.youtube.com")).policy()).isEqualTo("P3");
    assertThat(e.decide(host("zz.youtube.com")).policy()).isEqualTo("P4");
    assertThat(e.decide(host("youtu.be")).fallback()).isTrue();
  }

  @Test
  void linearRuleBetweenIndexedRules() throws Exception {
    RuleEngine e =
        engine("DOMAIN,a.com,P1", "DST-PORT,22,P2", "DOMAIN-SUFFIX,a.com,P3", "NETWORK,tcp,P4");
    assertThat(e.decide(tcp("a.com", 22)).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("x.a.com", 22)).policy()).isEqualTo("P2");
    assertThat(e.decide(tcp("x.a.com", 80)).policy()).isEqualTo("P3");
    assertThat(e.decide(tcp("b.com", 80)).policy()).isEqualTo("P4");
  }

  @Test
  void noResolveRulesBeforeTheFirstResolvingRuleSeeNoIp() throws Exception {
    RecordingResolver dns = new RecordingResolver().answer("a.com", "10.0.0.1");
    RuleEngine e =
        engine(
            dns,
            "IP-CIDR,10.0.0.0/8,P1,no-resolve",
            "IP-CIDR,192.0.2.0/24,P2", // resolves here
            "IP-CIDR,10.0.0.0/16,P3,no-resolve", // sees the resolved IP
            "MATCH,P4");
    assertThat(e.decide(host("a.com")).policy()).isEqualTo("P3");
    assertThat(e.decide(tcp("10.0.0.1", 80)).policy()).isEqualTo("P1");
  }

  @Test
  void allNoResolveNeverResolves() throws Exception {
    RecordingResolver dns = new RecordingResolver().answer("a.com", "10.0.0.1");
    RuleEngine e = engine(dns, "IP-CIDR,10.0.0.0/8,P1,no-resolve", "MATCH,P4");
    assertThat(e.decide(host("a.com")).policy()).isEqualTo("P4");
    assertThat(dns.calls).isEmpty();
  }

  @Test
  void resolvesAtMostOncePerDecisionAndOnlyWhenReached() throws Exception {
    RecordingResolver dns = new RecordingResolver().answer("a.com", "203.0.113.5");
    RuleEngine e =
        engine(
            dns,
            "DST-PORT,25,REJECT",
            "IP-CIDR,10.0.0.0/8,P1",
            "IP-CIDR6,2001:db8::/32,P2",
            "AND,((IP-CIDR,203.0.113.0/24),(NETWORK,tcp)),P3");
    assertThat(e.decide(tcp("a.com", 25)).policy()).isEqualTo("REJECT");
    assertThat(dns.calls).isEmpty();
    assertThat(e.decide(tcp("a.com", 443)).policy()).isEqualTo("P3");
    assertThat(dns.calls).containsExactly("a.com");
  }

  @Test
  void failedResolutionMeansIpRulesDoNotMatch() throws Exception {
    RecordingResolver dns = new RecordingResolver();
    RuleEngine e = engine(dns, "IP-CIDR,0.0.0.0/0,P1", "MATCH,P2");
    Decision d = e.decide(host("nx.example"));
    assertThat(d.policy()).isEqualTo("P2");
    assertThat(d.resolved()).isEmpty();
    assertThat(dns.calls).containsExactly("nx.example");
  }

  @Test
  void duplicateDomainKeepsTheFirstRule() throws Exception {
    RuleEngine e = engine("DOMAIN-SUFFIX,a.com,P1", "DOMAIN-SUFFIX,a.com,P2", "DOMAIN,a.com,P3");
    Decision d = e.decide(host("a.com"));
    assertThat(d.policy()).isEqualTo("P1");
    assertThat(d.source()).isEqualTo("config.yaml:10");
  }

  @Test
  void overlappingCidrsFirstRuleNotLongestPrefix() throws Exception {
    RuleEngine e = engine("IP-CIDR,10.0.0.0/8,P1", "IP-CIDR,10.1.0.0/16,P2");
    assertThat(e.decide(tcp("10.1.2.3", 1)).policy()).isEqualTo("P1");
    RuleEngine f = engine("IP-CIDR,10.1.0.0/16,P2", "IP-CIDR,10.0.0.0/8,P1");
    assertThat(f.decide(tcp("10.1.2.3", 1)).policy()).isEqualTo("P2");
    assertThat(f.decide(tcp("10.2.2.3", 1)).policy()).isEqualTo("P1");
  }
}
