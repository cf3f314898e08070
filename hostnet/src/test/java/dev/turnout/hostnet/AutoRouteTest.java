package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class AutoRouteTest {
  @Test
  void planIsOneTableAndAContiguousRuleBlockInTheDocumentedOrder() {
    List<String> plan =
        AutoRoute.builder("turnout0")
            .mark(0x2022)
            .excludeAddress("192.168.0.0/16")
            .excludeUids(1000, 1000)
            .dnsHijack(true)
            .strictRoute(true)
            .build()
            .plan()
            .stream()
            .map(AutoRoute.Step::toString)
            .toList();
    assertThat(plan)
        .containsExactly(
            "ip -4 route add default dev turnout0 table 2022",
            "ip -4 rule add priority 9000 fwmark 0x2022 lookup main",
            "ip -4 rule add priority 9001 fwmark 0x2022 unreachable",
            "ip -4 rule add priority 9002 to 192.168.0.0/16 lookup main",
            "ip -4 rule add priority 9003 uidrange 1000-1000 lookup main",
            "ip -4 rule add priority 9004 ipproto udp dport 53 lookup 2022",
            "ip -4 rule add priority 9004 ipproto tcp dport 53 lookup 2022",
            "ip -4 rule add priority 9005 lookup main suppress_prefixlength 0",
            "ip -4 rule add priority 9006 lookup 2022",
            "ip -6 rule add priority 9000 fwmark 0x2022 lookup main",
            "ip -6 rule add priority 9007 to fe80::/10 lookup main",
            "ip -6 rule add priority 9007 to ff00::/8 lookup main",
            "ip -6 rule add priority 9008 unreachable");
  }

  @Test
  void gatewayModeTurnsOnForwarding() throws Exception {
    RecordingCommands host = new RecordingCommands();
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("autoroute");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      AutoRoute.builder("turnout0").gateway(true).build().apply(changes);
      assertThat(host.sysctls).containsEntry("net.ipv4.ip_forward", "1");
    }
    assertThat(host.sysctls).containsEntry("net.ipv4.ip_forward", "0");
  }

  @Test
  void badSettingsAreRefused() {
    assertThatThrownBy(() -> AutoRoute.builder("bad name"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AutoRoute.builder("t").table(254))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AutoRoute.builder("t").excludeAddress("10.0.0.0"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AutoRoute.builder("t").excludeAddress("999.0.0.0/8"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> AutoRoute.builder("t").excludeAddress("2001:db8::/32"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
