package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.rules.Decision;
import java.net.InetAddress;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Issue 14, defect 1: only a rule that names a range lets DIRECT reach this host's addresses. */
class LocalPermitsTest {
  private static final InetAddress LOOPBACK = IpLiterals.parse("127.0.0.1");

  @Test
  void anIpCidrRuleNamingLoopbackPermitsItsRangeOnly() {
    Predicate<InetAddress> permit = permit("IP-CIDR,127.0.0.0/8", null);
    assertThat(permit.test(LOOPBACK)).isTrue();
    assertThat(permit.test(IpLiterals.parse("127.200.0.1"))).isTrue();
    assertThat(permit.test(IpLiterals.parse("0.0.0.0"))).isFalse();
    assertThat(permit("IP-CIDR,127.0.0.1/32,no-resolve", null).test(LOOPBACK)).isTrue();
    assertThat(permit("IP-CIDR6,::1/128", null).test(IpLiterals.parse("::1"))).isTrue();
    assertThat(permit("IP-SUFFIX,0.0.0.1/8", null).test(LOOPBACK)).isTrue();
    assertThat(permit("IP-SUFFIX,0.0.0.2/8", null).test(LOOPBACK)).isFalse();
  }

  @Test
  void anIpcidrProviderEntryPermitsItsRange() {
    assertThat(permit("127.0.0.0/8", "RULE-SET,local,DIRECT (config.yaml:3)").test(LOOPBACK))
        .isTrue();
    assertThat(
            permit("IP-CIDR,127.0.0.0/8", "RULE-SET,local,DIRECT (config.yaml:3)").test(LOOPBACK))
        .isTrue();
  }

  @Test
  void otherRulesPermitNothing() {
    for (String rule :
        List.of(
            "MATCH",
            "(no rule matched)",
            "DOMAIN,localhost",
            "DOMAIN-SUFFIX,127.0.0.1",
            "SRC-IP-CIDR,127.0.0.0/8",
            "IP-CIDR,127.0.0.0/8,src",
            "GEOIP,LAN",
            "IP-CIDR,not-a-range")) {
      assertThat(permit(rule, null).test(LOOPBACK)).as(rule).isFalse();
    }
    assertThat(permit("127.0.0.0/8", null).test(LOOPBACK)).isFalse(); // not from a rule set
  }

  private static Predicate<InetAddress> permit(String rule, String ruleSet) {
    return LocalPermits.of(
        new Decision("DIRECT", rule, "config.yaml:1", ruleSet, List.of(), false));
  }
}
