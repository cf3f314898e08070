package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.engine;
import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.ip;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RuleTypesTest {

  private static String policy(RuleEngine e, ConnectionInfo c) {
    return e.decide(c).policy();
  }

  @Test
  void domainMatchesExactlyIgnoringCaseAndTrailingDot() throws Exception {
    RuleEngine e = engine("DOMAIN,Example.COM.,Proxy");
    assertThat(policy(e, host("example.com"))).isEqualTo("Proxy");
    assertThat(policy(e, host("EXAMPLE.com."))).isEqualTo("Proxy");
    assertThat(e.decide(host("www.example.com")).fallback()).isTrue();
    assertThat(e.decide(host("example.co")).fallback()).isTrue();
  }

  @Test
  void domainSuffixMatchesItselfAndSubdomainsOnLabelBoundaries() throws Exception {
    RuleEngine e = engine("DOMAIN-SUFFIX,example.com,Proxy");
    assertThat(policy(e, host("example.com"))).isEqualTo("Proxy");
    assertThat(policy(e, host("a.b.example.com"))).isEqualTo("Proxy");
    assertThat(e.decide(host("badexample.com")).fallback()).isTrue();
    assertThat(e.decide(host("example.com.cn")).fallback()).isTrue();
  }

  @Test
  void domainKeywordMatchesAnywhere() throws Exception {
    RuleEngine e = engine("DOMAIN-KEYWORD,Goog,Proxy", "DOMAIN-KEYWORD,ads,P1");
    assertThat(policy(e, host("www.google.com"))).isEqualTo("Proxy");
    assertThat(policy(e, host("googleapis.cn"))).isEqualTo("Proxy");
    assertThat(policy(e, host("myads.net"))).isEqualTo("P1");
    assertThat(e.decide(host("example.com")).fallback()).isTrue();
  }

  @Test
  void domainRegexUsesFindSemanticsAndMayContainCommas() throws Exception {
    RuleEngine e = engine("DOMAIN-REGEX,^ad[0-9]{1,3}\\.,P1", "DOMAIN-REGEX,cdn$,P2");
    assertThat(policy(e, host("ad12.example.com"))).isEqualTo("P1");
    assertThat(policy(e, host("ad1234.example.com"))).isNotEqualTo("P1");
    assertThat(policy(e, host("static.mycdn"))).isEqualTo("P2");
    assertThat(e.decide(host("ad12.example.com")).rule())
        .isEqualTo("DOMAIN-REGEX,^ad[0-9]{1,3}\\.");
  }

  @Test
  void ipCidrMatchesV4AndV6Destinations() throws Exception {
    RuleEngine e =
        engine("IP-CIDR,10.0.0.0/8,P1", "IP-CIDR6,2001:db8::/32,P2", "IP-CIDR,192.0.2.7/32,P3");
    assertThat(policy(e, tcp("10.1.2.3", 80))).isEqualTo("P1");
    assertThat(policy(e, tcp("2001:db8::1", 80))).isEqualTo("P2");
    assertThat(policy(e, tcp("192.0.2.7", 80))).isEqualTo("P3");
    assertThat(policy(e, tcp("::ffff:10.9.9.9", 80))).isEqualTo("P1");
    assertThat(e.decide(tcp("11.0.0.1", 80)).fallback()).isTrue();
  }

  @Test
  void cidrWithHostBitsSetIsMasked() throws Exception {
    RuleEngine e = engine("IP-CIDR,10.1.2.3/16,P1");
    assertThat(policy(e, tcp("10.1.200.1", 80))).isEqualTo("P1");
  }

  @Test
  void srcIpCidrMatchesSource() throws Exception {
    RuleEngine e = engine("SRC-IP-CIDR,192.168.1.0/24,P1");
    assertThat(policy(e, host("example.com"))).isEqualTo("P1");
    ConnectionInfo other =
        ConnectionInfo.builder(Network.TCP).host("a.com").source(ip("10.0.0.1"), 1).build();
    assertThat(e.decide(other).fallback()).isTrue();
  }

  @Test
  void portsSingleRangeAndList() throws Exception {
    RuleEngine e =
        engine(
            "DST-PORT,443,P1", "DST-PORT,8000-8100,P2", "SRC-PORT,40001,P3", "DST-PORT,22/25,P4");
    assertThat(policy(e, tcp("a.com", 443))).isEqualTo("P1");
    assertThat(policy(e, tcp("a.com", 8050))).isEqualTo("P2");
    assertThat(policy(e, tcp("a.com", 8101))).isEqualTo("P3"); // source port 40001
    assertThat(policy(e, tcp("a.com", 25))).isEqualTo("P3"); // SRC-PORT comes first
  }

  @Test
  void networkMatchesTransport() throws Exception {
    RuleEngine e = engine("NETWORK,UDP,P1", "NETWORK,tcp,P2");
    ConnectionInfo udp = ConnectionInfo.builder(Network.UDP).host("a.com").build();
    assertThat(policy(e, udp)).isEqualTo("P1");
    assertThat(policy(e, host("a.com"))).isEqualTo("P2");
  }

  @Test
  void processRulesLookUpTheOwnerLazilyAndOnce() throws Exception {
    RuleEngine e =
        engine("DOMAIN,early.com,P1", "PROCESS-NAME,curl,P2", "PROCESS-PATH,/usr/bin/wget,P3");
    int[] calls = {0};
    ConnectionInfo.Builder b =
        ConnectionInfo.builder(Network.TCP)
            .process(
                () -> {
                  calls[0]++;
                  return new ProcessInfo("wget", "/usr/bin/wget");
                });
    assertThat(policy(e, b.host("early.com").build())).isEqualTo("P1");
    assertThat(calls[0]).isZero();
    assertThat(policy(e, b.host("late.com").build())).isEqualTo("P3");
    assertThat(calls[0]).isEqualTo(1);
    ConnectionInfo unknown = ConnectionInfo.builder(Network.TCP).host("x.com").build();
    assertThat(e.decide(unknown).fallback()).isTrue();
  }

  @Test
  void processRulesInsideLogicAskOnce() throws Exception {
    RuleEngine e = engine("AND,((PROCESS-NAME,curl),(NOT,((PROCESS-PATH,/bin/x)))),P1");
    int[] calls = {0};
    ConnectionInfo c =
        ConnectionInfo.builder(Network.TCP)
            .host("a.com")
            .process(
                () -> {
                  calls[0]++;
                  return new ProcessInfo("curl", "/usr/bin/curl");
                })
            .build();
    assertThat(policy(e, c)).isEqualTo("P1");
    assertThat(calls[0]).isEqualTo(1);
  }

  @Test
  void matchAndFinalCatchEverything() throws Exception {
    assertThat(policy(engine("MATCH,Proxy"), host("a.com"))).isEqualTo("Proxy");
    assertThat(policy(engine("FINAL,P1"), tcp("1.2.3.4", 1))).isEqualTo("P1");
  }

  @Test
  void noMatchFallsBackToDirectExplicitly() throws Exception {
    Decision d = engine("DOMAIN,a.com,Proxy").decide(host("b.com"));
    assertThat(d).isEqualTo(Decision.FALLBACK);
    assertThat(d.policy()).isEqualTo("DIRECT");
    assertThat(d.fallback()).isTrue();
  }

  @Test
  void decisionCarriesRuleTextAndSource() throws Exception {
    Decision d =
        engine("DOMAIN,x.com,P1", " domain-suffix , example.com , Proxy ")
            .decide(host("www.example.com"));
    assertThat(d.policy()).isEqualTo("Proxy");
    assertThat(d.rule()).isEqualTo("DOMAIN-SUFFIX,example.com");
    assertThat(d.source()).isEqualTo("config.yaml:11");
    assertThat(d.ruleSet()).isNull();
    assertThat(d.describe()).isEqualTo("Proxy <- DOMAIN-SUFFIX,example.com (config.yaml:11)");
  }

  @Test
  void fakeIpIsNeverUsedForIpRules() throws Exception {
    RuleEngine e =
        RuleEngine.builder()
            .rules(Fixtures.lines("IP-CIDR,198.18.0.0/15,P1,no-resolve", "MATCH,P2"))
            .policies(Fixtures.POLICIES)
            .options(new RulesOptions(null, null, null, java.util.List.of("198.18.0.0/16")))
            .build();
    ConnectionInfo c =
        ConnectionInfo.builder(Network.TCP)
            .host("a.com")
            .destination(ip("198.18.3.7"), 443)
            .build();
    assertThat(policy(e, c)).isEqualTo("P2");
    assertThat(policy(e, tcp("198.19.0.1", 1))).isEqualTo("P1");
  }
}
