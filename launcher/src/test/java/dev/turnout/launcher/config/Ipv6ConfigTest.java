package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problems;
import dev.turnout.netbase.IpLiterals;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The IPv6 switches and how the IPv6 range is divided. */
class Ipv6ConfigTest {
  private static final String DNS = "dns:\n  nameserver: [192.0.2.1]\n";

  private static TurnoutConfig read(String yaml, Problems problems) {
    return ConfigLoader.read("test.yaml", Path.of("test.yaml"), yaml, problems);
  }

  private static TurnoutConfig parse(String yaml) {
    Problems problems = new Problems("test.yaml");
    TurnoutConfig config = read(yaml, problems);
    assertThat(problems.sorted()).as("problems").isEmpty();
    return config;
  }

  private static List<String> problems(String yaml) {
    Problems problems = new Problems("test.yaml");
    read(yaml, problems);
    return problems.sorted().stream().map(Object::toString).toList();
  }

  @Test
  void ipv6IsOnByDefaultWithMihomosRangeAndEmptyAaaaAnswers() {
    TurnoutConfig config = parse(DNS);
    AddressPlan6 plan = config.plan().ipv6();
    assertThat(plan).isNotNull();
    assertThat(IpLiterals.format(plan.range().network())).isEqualTo("fdfe:dcba:9876::");
    assertThat(plan.range().prefixLength()).isEqualTo(64);
    assertThat(IpLiterals.format(plan.tunAddress())).isEqualTo("fdfe:dcba:9876::1");
    assertThat(IpLiterals.format(plan.fakeFirst())).isEqualTo("fdfe:dcba:9876::2");
    assertThat(plan.fakeCount()).isEqualTo(1 << 24);
    assertThat(IpLiterals.format(plan.natFirst())).isEqualTo("fdfe:dcba:9876:0:8000::");
    assertThat(plan.natCount()).isEqualTo(1 << 16);
    assertThat(config.fakeDns().fakeIpRange6()).as("dns.ipv6 is off by default").isNull();
  }

  @Test
  void dnsIpv6FakesAaaaFromTheConfiguredRange() {
    TurnoutConfig config = parse(DNS + "  ipv6: true\n  fake-ip-range6: 2001:db8:ff::/120\n");
    AddressPlan6 plan = config.plan().ipv6();
    assertThat(config.fakeDns().fakeIpRange6()).isNotNull();
    assertThat(IpLiterals.format(plan.tunAddress())).isEqualTo("2001:db8:ff::1");
    assertThat(plan.fakeCount()).isEqualTo(126);
    assertThat(IpLiterals.format(plan.natFirst())).isEqualTo("2001:db8:ff::80");
    assertThat(plan.natCount()).isEqualTo(128);
  }

  @Test
  void aWideRangeKeepsBothPoolsInsideIt() {
    AddressPlan6 plan = parse(DNS + "  fake-ip-range6: 2001:db8::/32\n").plan().ipv6();
    assertThat(IpLiterals.format(plan.natFirst())).isEqualTo("2001:db8:8000::");
    assertThat(plan.range().contains(plan.natFirst())).isTrue();
  }

  @Test
  void ipv6FalseTurnsItOffAndSaysThatDnsIpv6HasNoEffect() {
    TurnoutConfig config = read("ipv6: false\n" + DNS + "  ipv6: true\n", new Problems("t"));
    assertThat(config.plan().ipv6()).isNull();
    assertThat(config.fakeDns().fakeIpRange6()).isNull();
    assertThat(problems("ipv6: false\n" + DNS + "  ipv6: true\n"))
        .singleElement()
        .asString()
        .contains("dns.ipv6")
        .contains("AAAA answers stay empty");
  }

  @Test
  void anMtuBelowTheIpv6MinimumTurnsIpv6Off() {
    String yaml = DNS + "  ipv6: true\ntun:\n  mtu: 1200\n";
    assertThat(read(yaml, new Problems("t")).plan().ipv6()).isNull();
    assertThat(problems(yaml)).singleElement().asString().contains("tun.mtu 1280");
  }

  @Test
  void aRangeTooSmallOrNotIpv6IsAnError() {
    assertThat(problems(DNS + "  fake-ip-range6: 2001:db8::/121\n"))
        .singleElement()
        .asString()
        .contains("dns.fake-ip-range6")
        .contains("/120 or larger");
    assertThat(problems(DNS + "  fake-ip-range6: 198.18.0.0/15\n"))
        .singleElement()
        .asString()
        .contains("expected an IPv6 range");
  }

  @Test
  void routeExcludeAddressTakesIpv6Cidrs() {
    TurnoutConfig config =
        parse(
            DNS
                + "tun:\n  auto-route: true\n  route-exclude-address:"
                + " [198.51.100.0/24, '2001:db8::1:0:0:0/80']\n");
    assertThat(config.tun().routeExcludeAddress())
        .containsExactly("198.51.100.0/24", "2001:db8:0:0:1::/80");
  }
}
