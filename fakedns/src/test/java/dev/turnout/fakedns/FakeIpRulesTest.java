package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** fake-ip-filter-mode: rule, as mihomo reads it: first match decides, MATCH or fake-ip else. */
class FakeIpRulesTest {
  private static final DomainSets SETS =
      (kind, name) -> {
        if (!name.equals("lan")) {
          throw new IllegalArgumentException(
              "rule-set:" + name + ": no rule provider named " + name);
        }
        return Set.of("nas.home.arpa", "printer.home.arpa")::contains;
      };

  @Test
  void everyNameRuleAndTheFirstMatchDecides() {
    FakeIpRules rules =
        FakeIpRules.of(
            List.of(
                "DOMAIN,Fake.Example.com,fake-ip",
                "DOMAIN-SUFFIX,example.com,REAL-IP",
                "DOMAIN-KEYWORD,ntp,real-ip",
                "DOMAIN-REGEX,^stun[0-9]+\\.,real-ip",
                "DOMAIN-WILDCARD,*.lan?,real-ip",
                "RULE-SET,lan,real-ip"),
            SETS);
    assertThat(rules.realIp("fake.example.com.")).as("the first rule wins").isFalse();
    assertThat(rules.realIp("example.com")).isTrue();
    assertThat(rules.realIp("www.EXAMPLE.com")).isTrue();
    assertThat(rules.realIp("badexample.com")).isFalse();
    assertThat(rules.realIp("time.ntp.org")).isTrue();
    assertThat(rules.realIp("stun1.l.example.net")).isTrue();
    assertThat(rules.realIp("a.b.lanx")).isTrue();
    assertThat(rules.realIp("a.lan")).isFalse();
    assertThat(rules.realIp("nas.home.arpa")).isTrue();
    assertThat(rules.realIp("www.example.org")).as("no rule: a fake IP").isFalse();
    assertThat(
            FakeIpRules.of(List.of("DOMAIN,x.test,fake-ip", "MATCH,real-ip"), SETS)
                .realIp("y.test"))
        .as("MATCH")
        .isTrue();
    assertThat(DomainFilter.of(rules).matches("example.com")).isTrue();
    assertThat(DomainFilter.Mode.parse("rule")).isEqualTo(DomainFilter.Mode.BLACKLIST);
  }

  @Test
  void otherRulesActionsAndSetsAreRefusedNamingTheEntry() {
    assertThatThrownBy(() -> FakeIpRules.of(List.of("GEOSITE,cn,real-ip"), SETS))
        .hasMessageContaining("'GEOSITE,cn,real-ip': only DOMAIN, DOMAIN-SUFFIX");
    assertThatThrownBy(() -> FakeIpRules.of(List.of("IP-CIDR,192.0.2.0/24,real-ip"), SETS))
        .hasMessageContaining("only DOMAIN");
    assertThatThrownBy(() -> FakeIpRules.of(List.of("DOMAIN,x.test,DIRECT"), SETS))
        .hasMessageContaining("the action must be fake-ip or real-ip, not 'DIRECT'");
    assertThatThrownBy(() -> FakeIpRules.of(List.of("+.example.com"), SETS))
        .hasMessageContaining("expected TYPE,VALUE,fake-ip|real-ip");
    assertThatThrownBy(() -> FakeIpRules.of(List.of("RULE-SET,nope,real-ip"), SETS))
        .hasMessageContaining("no rule provider named nope");
    assertThatThrownBy(() -> FakeIpRules.of(List.of("DOMAIN-REGEX,(,real-ip"), SETS))
        .hasMessageContaining("not a regular expression");
  }
}
