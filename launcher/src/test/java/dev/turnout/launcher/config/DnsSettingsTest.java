package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problem;
import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dns: keys as mihomo configs write them: what loads, what warns, what is refused. */
class DnsSettingsTest {
  private record Read(TurnoutConfig config, List<Problem> problems) {
    List<String> errors() {
      return problems.stream()
          .filter(p -> p.severity() == Severity.ERROR)
          .map(Problem::toString)
          .toList();
    }

    List<String> warnings() {
      return problems.stream()
          .filter(p -> p.severity() == Severity.WARNING)
          .map(Problem::toString)
          .toList();
    }
  }

  private static Read read(String... dnsLines) {
    Problems problems = new Problems("test.yaml");
    String yaml = "dns:\n  " + String.join("\n  ", dnsLines) + "\n";
    TurnoutConfig config = ConfigLoader.read("test.yaml", Path.of("test.yaml"), yaml, problems);
    return new Read(config, problems.sorted());
  }

  @Test
  void theMihomoDocumentationsDnsSectionLoads() {
    Read r =
        read(
            "enable: true",
            "cache-algorithm: arc",
            "prefer-h3: false",
            "use-hosts: true",
            "use-system-hosts: true",
            "respect-rules: false",
            "ipv6: false",
            "default-nameserver: [223.5.5.5]",
            "enhanced-mode: fake-ip",
            "fake-ip-range: 198.18.0.1/16",
            "fake-ip-filter-mode: blacklist",
            "fake-ip-filter: ['*.lan', 'geosite:private', 'rule-set:cn']",
            "nameserver-policy:",
            "  '+.arpa': '10.0.0.1'",
            "  'rule-set:cn': [https://doh.pub/dns-query, https://dns.alidns.com/dns-query]",
            "  'geosite:cn,private': [https://doh.pub/dns-query]",
            "nameserver: [https://doh.pub/dns-query, https://dns.alidns.com/dns-query]",
            "fallback: [tls://8.8.4.4, tls://1.1.1.1]",
            "proxy-server-nameserver: [https://doh.pub/dns-query]",
            "proxy-server-nameserver-policy:",
            "  'www.yournode.com': '114.114.114.114'",
            "direct-nameserver: [system]",
            "direct-nameserver-follow-policy: false",
            "fallback-filter:",
            "  geoip: true",
            "  geoip-code: CN",
            "  geosite: [gfw]",
            "  ipcidr: [240.0.0.0/4]",
            "  domain: ['+.google.com', '+.facebook.com', '+.youtube.com']");
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings())
        .noneSatisfy(w -> assertThat(w).contains("direct-nameserver"))
        .anySatisfy(w -> assertThat(w).contains("no geoip-database is set"));
    DnsSettings s = r.config().dns().settings();
    assertThat(s.defaultNameservers()).containsExactly("223.5.5.5");
    assertThat(s.fallback()).containsExactly("tls://8.8.4.4", "tls://1.1.1.1");
    assertThat(s.nameserverPolicy())
        .extracting(DnsSettings.PolicyEntry::key)
        .containsExactly("+.arpa", "rule-set:cn", "geosite:cn,private");
    assertThat(s.nameserverPolicy().get(1).servers()).hasSize(2);
    assertThat(s.nameserverPolicy().get(1).line()).isEqualTo(16);
    assertThat(s.directNameservers()).containsExactly("system");
    assertThat(s.fallbackFilter().geosite()).containsExactly("gfw");
    assertThat(r.config().dns().fakeIpFilter()).contains("geosite:private", "rule-set:cn");
  }

  @Test
  void fakeIpFilterRulesAreReadInRuleModeAndWhatMihomoRefusesIsAnError() {
    Read r =
        read(
            "nameserver: [192.0.2.53]",
            "fake-ip-filter-mode: rule",
            "fake-ip-filter:",
            "  - DOMAIN-SUFFIX,lan,real-ip",
            "  - RULE-SET,cn,real-ip",
            "  - GEOSITE,private,real-ip",
            "  - DOMAIN,x.test,direct",
            "  - MATCH,fake-ip");
    assertThat(r.config().fakeDns().filterMode()).isEqualTo("rule");
    assertThat(r.config().dns().fakeIpFilter())
        .containsExactly("DOMAIN-SUFFIX,lan,real-ip", "RULE-SET,cn,real-ip", "MATCH,fake-ip");
    assertThat(r.errors())
        .hasSize(2)
        .anySatisfy(e -> assertThat(e).startsWith("test.yaml:7:").contains("only DOMAIN"))
        .anySatisfy(e -> assertThat(e).startsWith("test.yaml:8:").contains("fake-ip or real-ip"));
  }

  @Test
  void serversTurnoutCannotSpeakAreLeftOutWhileOthersRemain() {
    Read r = read("nameserver: [quic://dns.adguard.com, 192.0.2.53]");
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings())
        .singleElement()
        .asString()
        .contains("DNS over QUIC is not supported")
        .contains("left out");
    assertThat(r.config().dns().nameservers()).containsExactly("192.0.2.53");
  }

  @Test
  void aListWithNoUsableServerIsRefused() {
    Read r = read("nameserver: [quic://192.0.2.53]");
    assertThat(r.errors()).singleElement().asString().contains("no server Turnout can use");
  }

  @Test
  void aPolicyKeyWithNoUsableServerIsRefusedSinceItsNamesWouldGoElsewhere() {
    Read r =
        read("nameserver: [192.0.2.53]", "nameserver-policy:", "  '+.corp.test': quic://192.0.2.1");
    assertThat(r.errors())
        .singleElement()
        .asString()
        .contains("test.yaml:4")
        .contains("would go to other servers than written");
  }

  @Test
  void serversGivenByNameNeedSomethingToResolveThem() {
    Read none = read("nameserver: [https://dns.example/dns-query]");
    assertThat(none.errors()).singleElement().asString().contains("set default-nameserver");
    Read literal = read("nameserver: [https://dns.example/dns-query, 192.0.2.53]");
    assertThat(literal.errors()).isEmpty();
    assertThat(literal.warnings())
        .singleElement()
        .asString()
        .contains("resolved through 192.0.2.53");
    assertThat(literal.config().dns().settings().defaultNameservers())
        .containsExactly("192.0.2.53");
    Read named = read("nameserver: [192.0.2.53]", "default-nameserver: [dns.example]");
    assertThat(named.errors()).singleElement().asString().contains("must be IP addresses");
  }

  @Test
  void respectRulesNeedsProxyServerNameserverAsInMihomo() {
    assertThat(read("nameserver: [192.0.2.53]", "respect-rules: true").errors())
        .singleElement()
        .asString()
        .contains("needs proxy-server-nameserver");
    Read ok =
        read(
            "nameserver: [tls://192.0.2.53]",
            "respect-rules: true",
            "proxy-server-nameserver: [192.0.2.54]");
    assertThat(ok.errors()).isEmpty();
    assertThat(ok.config().dns().settings().respectRules()).isTrue();
  }

  @Test
  void acceptedKeysThatChangeNothingHereAreWarnedAbout() {
    Read r =
        read(
            "nameserver: ['https://192.0.2.53/dns-query#h3=true']",
            "prefer-h3: true",
            "ipv6-timeout: 300",
            "fake-ip-ttl: 60");
    assertThat(r.errors()).isEmpty();
    assertThat(r.warnings())
        .hasSize(4)
        .anySatisfy(w -> assertThat(w).contains("HTTP/3 is not supported"))
        .anySatisfy(w -> assertThat(w).contains("prefer-h3"))
        .anySatisfy(w -> assertThat(w).contains("ipv6-timeout"))
        .anySatisfy(w -> assertThat(w).contains("fake-ip-ttl"));
  }

  @Test
  void badPatternsAndRangesAreErrorsAtTheirLine() {
    Read r =
        read(
            "nameserver: [192.0.2.53]",
            "fake-ip-filter: ['a..b']",
            "fallback: [192.0.2.54]",
            "fallback-filter:",
            "  ipcidr: [not-a-cidr]",
            "nameserver-policy:",
            "  'foo*.test': 192.0.2.55");
    assertThat(r.errors()).hasSize(3);
    assertThat(r.errors().get(0)).contains("test.yaml:3").contains("fake-ip-filter");
    assertThat(r.errors().get(1)).contains("test.yaml:6").contains("ipcidr");
    assertThat(r.errors().get(2)).contains("test.yaml:8");
  }
}
