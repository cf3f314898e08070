package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AutoRouteTest {
  private static final String FORWARDING = "net.ipv4.ip_forward";
  @TempDir Path dir;

  /** The commands of {@code route}'s plan that {@code which} accepts, in order. */
  private static List<String> commands(
      AutoRoute.Builder route, java.util.function.Predicate<String> which) {
    return route.build().plan().stream().map(AutoRoute.Step::toString).filter(which).toList();
  }

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
  void excludedPortsKeepTheMainTableBesideTheExcludedUsers() {
    List<String> plan =
        AutoRoute.builder("turnout0")
            .excludeUids(1000, 1000)
            .excludePorts(false, 22, 22)
            .excludePorts(true, 5000, 5100)
            .build()
            .plan()
            .stream()
            .map(AutoRoute.Step::toString)
            .filter(step -> step.contains("9003"))
            .toList();
    assertThat(plan)
        .containsExactly(
            "ip -4 rule add priority 9003 uidrange 1000-1000 lookup main",
            "ip -4 rule add priority 9003 dport 22 lookup main",
            "ip -4 rule add priority 9003 sport 5000-5100 lookup main");
    assertThatThrownBy(() -> AutoRoute.builder("turnout0").excludePorts(false, 0, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void includedUsersAloneAreSentIntoTheTunHijackedDnsIncluded() {
    List<String> plan =
        AutoRoute.builder("turnout0")
            .includeUids(1000, 1000)
            .includeUids(2000, 2099)
            .dnsHijack(true)
            .build()
            .plan()
            .stream()
            .map(AutoRoute.Step::toString)
            .filter(step -> step.contains("2022") && step.contains("rule"))
            .toList();
    assertThat(plan)
        .containsExactly(
            "ip -4 rule add priority 9004 uidrange 1000-1000 ipproto udp dport 53 lookup 2022",
            "ip -4 rule add priority 9004 uidrange 1000-1000 ipproto tcp dport 53 lookup 2022",
            "ip -4 rule add priority 9004 uidrange 2000-2099 ipproto udp dport 53 lookup 2022",
            "ip -4 rule add priority 9004 uidrange 2000-2099 ipproto tcp dport 53 lookup 2022",
            "ip -4 rule add priority 9006 uidrange 1000-1000 lookup 2022",
            "ip -4 rule add priority 9006 uidrange 2000-2099 lookup 2022");
  }

  @Test
  void anExcludedInterfaceKeepsMainAheadOfGatewayModesCapture() {
    List<String> rules =
        commands(
            AutoRoute.builder("turnout0").mark(0x2022).excludeInterface("docker0"),
            step -> step.contains("9000"));
    assertThat(rules)
        .containsExactly(
            "ip -4 rule add priority 9000 fwmark 0x2022 lookup main",
            "ip -4 rule add priority 9000 iif docker0 lookup main");
    assertThatThrownBy(() -> AutoRoute.builder("turnout0").excludeInterface("a b"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void onlyIncludedInterfacesGoOnThroughTheBlockAndEveryRuleNamesOne() {
    List<String> rules =
        commands(
            AutoRoute.builder("turnout0").includeInterface("br-lan").includeInterface("lo"),
            step -> step.matches(".*priority 900[019] .*"));
    assertThat(rules) // without a mark, p + 1 holds only the nop the goto needs to land on
        .containsExactly(
            "ip -4 rule add priority 9001 nop",
            "ip -4 rule add priority 9000 iif br-lan goto 9001",
            "ip -4 rule add priority 9000 not iif lo goto 9009",
            "ip -4 rule add priority 9009 nop");
  }

  @Test
  void routeAddressesReplaceTheDefaultRoutePerFamily() {
    List<String> routes =
        AutoRoute.builder("turnout0")
            .mark(0x2022)
            .routeAddress("198.51.100.0/24")
            .routeAddress("2001:db8::/32")
            .routeAddress("203.0.113.7/32")
            .ipv6(true)
            .build()
            .plan()
            .stream()
            .filter(step -> !step.rule())
            .map(AutoRoute.Step::toString)
            .toList();
    assertThat(routes)
        .containsExactly(
            "ip -4 route add 198.51.100.0/24 dev turnout0 table 2022",
            "ip -4 route add 203.0.113.7/32 dev turnout0 table 2022",
            "ip -6 route add 2001:db8::/32 dev turnout0 table 2022");
  }

  @Test
  void withIpv6TheSameBlockIsMadeForIpv6WithItsOwnExcludesAndNothingIsUnreachable() {
    List<String> plan =
        AutoRoute.builder("turnout0")
            .mark(0x2022)
            .excludeAddress("198.51.100.0/24")
            .excludeAddress("2001:db8:1::/48")
            .dnsHijack(true)
            .strictRoute(true)
            .ipv6(true)
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
            "ip -4 rule add priority 9002 to 198.51.100.0/24 lookup main",
            "ip -4 rule add priority 9004 ipproto udp dport 53 lookup 2022",
            "ip -4 rule add priority 9004 ipproto tcp dport 53 lookup 2022",
            "ip -4 rule add priority 9005 lookup main suppress_prefixlength 0",
            "ip -4 rule add priority 9006 lookup 2022",
            "ip -6 route add default dev turnout0 table 2022",
            "ip -6 rule add priority 9000 fwmark 0x2022 lookup main",
            "ip -6 rule add priority 9001 fwmark 0x2022 unreachable",
            "ip -6 rule add priority 9002 to 2001:db8:1::/48 lookup main",
            "ip -6 rule add priority 9004 ipproto udp dport 53 lookup 2022",
            "ip -6 rule add priority 9004 ipproto tcp dport 53 lookup 2022",
            "ip -6 rule add priority 9005 lookup main suppress_prefixlength 0",
            "ip -6 rule add priority 9006 lookup 2022");
  }

  @Test
  void gatewayModeWithIpv6ForwardsBothFamiliesAndUndoesBoth() throws IOException {
    RecordingCommands host = new RecordingCommands();
    host.sysctls.put(FORWARDING, "0");
    host.sysctls.put("net.ipv6.conf.all.forwarding", "0");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      AutoRoute.builder("turnout0").mark(0x2022).gateway(true).ipv6(true).build().apply(changes);
      assertThat(host.sysctls)
          .containsEntry(FORWARDING, "1")
          .containsEntry("net.ipv6.conf.all.forwarding", "1");
      assertThat(changes.describe())
          .contains("sysctl net.ipv6.conf.all.forwarding 0 1")
          .contains("sysctl net.ipv4.ip_forward 0 1");
    }
    assertThat(host.sysctls)
        .containsEntry(FORWARDING, "0")
        .containsEntry("net.ipv6.conf.all.forwarding", "0");
  }

  @Test
  void gatewayModeTurnsOnForwardingThatWasOffJournalsItAndTurnsItOffAgain() throws IOException {
    RecordingCommands host = new RecordingCommands();
    host.sysctls.put(FORWARDING, "0");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      gateway().apply(changes);
      assertThat(host.sysctls).containsEntry(FORWARDING, "1");
      assertThat(changes.describe()).contains("sysctl net.ipv4.ip_forward 0 1");
      assertThat(Journal.read(dir.resolve(HostChanges.JOURNAL)))
          .contains(new Change.Sysctl(FORWARDING, "0", "1"));
    }
    assertThat(host.sysctls).containsEntry(FORWARDING, "0");
  }

  /** A Docker host or a router forwards already: nothing to change, journal or undo. */
  @Test
  void gatewayModeLeavesForwardingThatIsAlreadyOnAlone() throws IOException {
    RecordingCommands host = new RecordingCommands();
    host.sysctls.put(FORWARDING, "1");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      gateway().apply(changes);
      assertThat(changes.describe()).noneMatch(line -> line.startsWith("sysctl"));
      assertThat(Journal.read(dir.resolve(HostChanges.JOURNAL)))
          .noneMatch(change -> change instanceof Change.Sysctl);
    }
    assertThat(host.sysctls).containsEntry(FORWARDING, "1");
    assertThat(host.log).noneMatch(line -> line.startsWith("sysctl -q -w"));
  }

  /** After a crash, cleanup undoes forwarding only if Turnout was the one that turned it on. */
  @ParameterizedTest(name = "ip_forward {0} before")
  @ValueSource(strings = {"0", "1"})
  void afterACrashCleanupLeavesForwardingAsItWas(String before) throws IOException {
    RecordingCommands host = new RecordingCommands();
    host.sysctls.put(FORWARDING, before);
    HostChanges crashed = HostChanges.open(dir, host);
    gateway().apply(crashed);
    crashed.abandon();
    host.log.clear();

    int ours = before.equals("0") ? 1 + gateway().forwardOnlyIntoTheTun().size() : 0;
    assertThat(HostChanges.cleanup(dir, host)).isEqualTo(gateway().plan().size() + ours);
    assertThat(host.sysctls).containsEntry(FORWARDING, before);
    assertThat(host.log.stream().filter(line -> line.startsWith("sysctl -q -w")).toList())
        .isEqualTo(before.equals("0") ? List.of("sysctl -q -w net.ipv4.ip_forward=0") : List.of());
  }

  /**
   * Issue 14, defect 6: gateway mode turned on ip_forward with no forward filter. Forwarding it
   * turns on serves the TUN only, by rules journaled before it and undone with it.
   */
  @Test
  void forwardingTurnedOnServesOnlyTheTunAndIsFilteredBeforeItIsOn() throws IOException {
    RecordingCommands host = new RecordingCommands();
    host.sysctls.put(FORWARDING, "0");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      gateway().apply(changes);
      List<String> commands = host.log.stream().filter(l -> !reads(l)).toList();
      assertThat(commands.subList(0, 3))
          .containsExactly(
              "ip -4 rule add priority 9001 iif turnout0 lookup main",
              "ip -4 rule add priority 9001 not iif lo lookup 2022",
              "sysctl -q -w net.ipv4.ip_forward=1");
      assertThat(Journal.read(dir.resolve(HostChanges.JOURNAL)))
          .contains(
              new Change.Rule(
                  "-4", List.of("priority", "9001", "not", "iif", "lo", "lookup", "2022")));
    }
    assertThat(host.log)
        .contains(
            "ip -4 rule del priority 9001 not iif lo lookup 2022",
            "ip -4 rule del priority 9001 iif turnout0 lookup main");
    assertThat(host.sysctls).containsEntry(FORWARDING, "0");
  }

  @Test
  void forwardingThatWasOnAlreadyGetsNoFilter() throws IOException {
    RecordingCommands host = new RecordingCommands();
    host.sysctls.put(FORWARDING, "1");
    try (HostChanges changes = HostChanges.open(dir, host)) {
      gateway().apply(changes);
    }
    assertThat(host.log).noneMatch(line -> line.contains("iif"));
  }

  /** With IPv6 captured, IPv6 forwarding is decided on its own, with the same filter. */
  @Test
  void ipv6ForwardingIsTurnedOnServingOnlyTheTunAndOffAgain() throws IOException {
    RecordingCommands host = new RecordingCommands();
    host.sysctls.put(FORWARDING, "1"); // a router already: IPv4 left alone
    host.sysctls.put("net.ipv6.conf.all.forwarding", "0");
    AutoRoute gateway6 =
        AutoRoute.builder("turnout0").mark(0x2022).gateway(true).ipv6(true).build();
    try (HostChanges changes = HostChanges.open(dir, host)) {
      gateway6.apply(changes);
      List<String> commands = host.log.stream().filter(l -> !reads(l)).toList();
      assertThat(commands.subList(0, 3))
          .containsExactly(
              "ip -6 rule add priority 9001 iif turnout0 lookup main",
              "ip -6 rule add priority 9001 not iif lo lookup 2022",
              "sysctl -q -w net.ipv6.conf.all.forwarding=1");
      assertThat(host.log).noneMatch(line -> line.startsWith("ip -4") && line.contains("iif"));
    }
    assertThat(host.log).contains("ip -6 rule del priority 9001 not iif lo lookup 2022");
    assertThat(host.sysctls)
        .containsEntry("net.ipv6.conf.all.forwarding", "0")
        .containsEntry(FORWARDING, "1");
  }

  /**
   * Turning the all switch off again turns every interface's forwarding off: an interface that
   * forwarded before Turnout does again after it stops, and after a crash and cleanup.
   */
  @ParameterizedTest(name = "crash {0}")
  @ValueSource(booleans = {false, true})
  void anInterfaceThatForwardedBeforeForwardsAgainAfterwards(boolean crash) throws IOException {
    RecordingCommands host = new RecordingCommands();
    String lan4 = "net.ipv4.conf.lan0.forwarding";
    String lan6 = "net.ipv6.conf.lan0.forwarding";
    host.sysctls.putAll(
        java.util.Map.of(
            FORWARDING,
            "0",
            "net.ipv4.conf.all.forwarding",
            "0",
            lan4,
            "1",
            "net.ipv6.conf.all.forwarding",
            "0",
            "net.ipv6.conf.default.forwarding",
            "0",
            lan6,
            "1"));
    AutoRoute gateway6 =
        AutoRoute.builder("turnout0").mark(0x2022).gateway(true).ipv6(true).build();
    HostChanges changes = HostChanges.open(dir, host);
    gateway6.apply(changes);
    assertThat(host.sysctls).containsEntry(lan4, "1").containsEntry(lan6, "1");
    if (crash) {
      changes.abandon();
      HostChanges.cleanup(dir, host);
    } else {
      changes.close();
    }
    assertThat(host.sysctls)
        .containsEntry(FORWARDING, "0")
        .containsEntry("net.ipv6.conf.all.forwarding", "0")
        .containsEntry("net.ipv6.conf.default.forwarding", "0")
        .containsEntry(lan4, "1")
        .containsEntry(lan6, "1");
  }

  /** A command that only reads sysctls. */
  /** Commands that change nothing: sysctl reads, and the firewall's chains looked at. */
  private static boolean reads(String command) {
    return command.startsWith("sysctl -n")
        || command.startsWith("sysctl -a")
        || command.equals("nft --version")
        || command.equals("nft list chains")
        || command.startsWith("cat /proc/net/");
  }

  private static AutoRoute gateway() {
    return AutoRoute.builder("turnout0").mark(0x2022).gateway(true).build();
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
    assertThatThrownBy(() -> AutoRoute.builder("t").excludeAddress("::ffff:198.51.100.0/120"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
