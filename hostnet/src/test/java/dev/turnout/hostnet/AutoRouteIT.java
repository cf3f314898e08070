package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.testing.Directories;
import dev.turnout.testing.Netns;
import dev.turnout.testing.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Needs root. Applies auto-route inside a fresh network namespace (every command runs with {@code
 * ip netns exec}, so the host's own rules, routes and sysctls are never touched), then checks that
 * undo — on close, and from the journal after a simulated crash — leaves the namespace's rules,
 * routes and sysctls exactly as they were.
 *
 * <p>A new namespace inherits the host's IPv4 settings ({@code net.core.devconf_inherit_init_net}
 * 0, the default), {@code ip_forward} included, which is on on every Docker host and router. So
 * each test sets forwarding in its namespace itself before it starts; gateway mode is tested with
 * forwarding off (turned on, journaled, undone) and already on (left alone).
 */
class AutoRouteIT {
  static final String DEVICE = "tnt0";
  static final String FORWARDING = "net.ipv4.ip_forward";
  Netns netns;
  String namespace;
  Commands ns;
  Path state;

  @BeforeEach
  void createNamespace() throws Exception {
    Root.assertRoot("AutoRouteIT");
    netns = Netns.isolated("tnh");
    namespace = netns.name;
    ns = ProcessCommands.inNamespace(namespace);
    setForwarding("0");
    ns.check(List.of("ip", "link", "set", "lo", "up"));
    ns.check(List.of("ip", "tuntap", "add", "mode", "tun", "name", DEVICE));
    ns.check(List.of("ip", "addr", "add", "198.18.0.1/15", "dev", DEVICE));
    ns.check(List.of("ip", "link", "set", DEVICE, "up"));
    state = Files.createTempDirectory("turnout-hostnet-it");
  }

  @AfterEach
  void deleteNamespace() {
    if (netns != null) {
      netns.close();
    }
    if (state != null) {
      Directories.deleteTree(state);
    }
  }

  /** Rules of both families, routes of every table, and the sysctls auto-route may set. */
  String snapshot() throws IOException {
    return String.join(
        "\n----\n",
        ns.check(List.of("ip", "-4", "rule")),
        ns.check(List.of("ip", "-6", "rule")),
        ns.check(List.of("ip", "-4", "route", "show", "table", "all")),
        ns.check(List.of("ip", "-6", "route", "show", "table", "all"))
            .lines()
            .filter(l -> !l.startsWith("local fe80:") && !l.startsWith("fe80:"))
            .collect(Collectors.joining("\n")),
        forwarding());
  }

  void setForwarding(String value) throws IOException {
    ns.check(List.of("sysctl", "-q", "-w", FORWARDING + "=" + value));
  }

  String forwarding() throws IOException {
    return ns.check(List.of("sysctl", "-n", FORWARDING)).strip();
  }

  static AutoRoute autoRoute() {
    return AutoRoute.builder(DEVICE)
        .mark(0x2022)
        .excludeAddress("10.0.0.0/8")
        .excludeUids(1000, 1999)
        .dnsHijack(true)
        .strictRoute(true)
        .gateway(true)
        .build();
  }

  @ParameterizedTest(name = "ip_forward {0} before")
  @ValueSource(strings = {"0", "1"})
  void applyThenCloseLeavesTheNamespaceExactlyAsBefore(String forwardingBefore) throws IOException {
    setForwarding(forwardingBefore);
    String before = snapshot();
    try (HostChanges changes = HostChanges.open(state, ns)) {
      autoRoute().apply(changes);

      String rules = ns.check(List.of("ip", "-4", "rule"));
      assertThat(rules)
          .contains("9000:\tfrom all fwmark 0x2022 lookup main")
          .contains("9001:\tfrom all fwmark 0x2022 unreachable")
          .contains("9002:\tfrom all to 10.0.0.0/8 lookup main")
          .contains("9003:\tfrom all uidrange 1000-1999 lookup main")
          .contains("9004:\tfrom all ipproto udp dport 53 lookup 2022")
          .contains("9004:\tfrom all ipproto tcp dport 53 lookup 2022")
          .contains("9005:\tfrom all lookup main suppress_prefixlength 0")
          .contains("9006:\tfrom all lookup 2022");
      assertThat(ns.check(List.of("ip", "-6", "rule"))).contains("9008:\tfrom all unreachable");
      assertThat(ns.check(List.of("ip", "route", "show", "table", "2022")))
          .contains("default dev " + DEVICE);
      assertThat(forwarding()).isEqualTo("1");
      List<String> sysctls =
          changes.describe().stream().filter(line -> line.startsWith("sysctl")).toList();
      assertThat(sysctls)
          .as("journaled only if Turnout turned it on")
          .isEqualTo(
              forwardingBefore.equals("0") ? List.of("sysctl net.ipv4.ip_forward 0 1") : List.of());
      // A real route decision: unmarked traffic to the internet goes to the TUN, marked does not.
      assertThat(ns.check(List.of("ip", "route", "get", "192.0.2.7"))).contains("dev " + DEVICE);
      assertThat(ns.run(List.of("ip", "route", "get", "192.0.2.7", "mark", "0x2022")).exit())
          .as("marked traffic never falls through into the TUN")
          .isNotZero();
    }
    assertThat(snapshot()).isEqualTo(before);
    assertThat(HostChanges.hasJournal(state)).isFalse();
  }

  @ParameterizedTest(name = "ip_forward {0} before")
  @ValueSource(strings = {"0", "1"})
  void afterACrashCleanupFromTheJournalRestoresEverything(String forwardingBefore)
      throws IOException {
    setForwarding(forwardingBefore);
    String before = snapshot();
    HostChanges crashed = HostChanges.open(state, ns);
    autoRoute().apply(crashed);
    crashed.abandon(); // the process died: nothing in memory survives, the journal does
    assertThat(snapshot()).isNotEqualTo(before);
    assertThat(HostChanges.hasJournal(state)).isTrue();

    int undone = HostChanges.cleanup(state, ProcessCommands.inNamespace(namespace));

    // Forwarding already on is not journaled; turned on, it comes with its forward-only rules.
    int forwarding =
        forwardingBefore.equals("0") ? 1 + autoRoute().forwardOnlyIntoTheTun().size() : 0;
    assertThat(undone).isEqualTo(autoRoute().plan().size() + forwarding);
    assertThat(snapshot()).isEqualTo(before);
    assertThat(forwarding()).isEqualTo(forwardingBefore);
    assertThat(HostChanges.hasJournal(state)).isFalse();
  }

  /**
   * IPv6 captured like IPv4: an unmarked route decision for a remote IPv6 address leads into the
   * TUN, a marked one never does, a {@code route-exclude-address} keeps main; a crash is cleaned up
   * to the same state for both families.
   */
  @Test
  void ipv6IsCapturedLikeIpv4AndCleanedUpAfterACrash() throws IOException {
    ns.check(List.of("ip", "-6", "addr", "add", "fdfe:dcba:9876::1/64", "dev", DEVICE));
    ns.check(List.of("ip", "link", "add", "tnh-d0", "type", "veth", "peer", "name", "tnh-d1"));
    ns.check(List.of("ip", "-6", "addr", "add", "2001:db8:5::2/64", "dev", "tnh-d0", "nodad"));
    ns.check(List.of("ip", "link", "set", "tnh-d1", "up"));
    ns.check(List.of("ip", "link", "set", "tnh-d0", "up"));
    ns.check(List.of("ip", "-6", "route", "add", "default", "via", "2001:db8:5::1"));
    String before = snapshot();
    AutoRoute v6 =
        AutoRoute.builder(DEVICE)
            .mark(0x2022)
            .excludeAddress("2001:db8:ee::/48")
            .dnsHijack(true)
            .ipv6(true)
            .build();
    HostChanges crashed = HostChanges.open(state, ns);
    v6.apply(crashed);
    assertThat(ns.check(List.of("ip", "-6", "route", "get", "2001:db8:80::80")))
        .contains("dev " + DEVICE);
    assertThat(ns.check(List.of("ip", "-6", "route", "get", "2001:db8:80::80", "mark", "0x2022")))
        .as("marked traffic takes main's default route")
        .contains("dev tnh-d0");
    assertThat(ns.check(List.of("ip", "-6", "route", "get", "2001:db8:ee::1")))
        .contains("dev tnh-d0");
    assertThat(ns.check(List.of("ip", "-6", "route", "get", "2001:db8:5::9")))
        .as("an on-link network keeps its route")
        .contains("dev tnh-d0");
    assertThat(ns.check(List.of("ip", "-6", "route", "get", "fdfe:dcba:9876::abcd")))
        .contains("dev " + DEVICE);
    crashed.abandon();

    int undone = HostChanges.cleanup(state, ProcessCommands.inNamespace(namespace));

    assertThat(undone).isEqualTo(v6.plan().size());
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void aRestartAfterACrashCleansUpFirstAndThenAppliesAgain() throws IOException {
    String before = snapshot();
    HostChanges crashed = HostChanges.open(state, ns);
    autoRoute().apply(crashed);
    crashed.abandon();

    try (HostChanges next = HostChanges.open(state, ns)) {
      autoRoute().apply(next); // would fail with "File exists" had the old rules stayed
    }
    assertThat(snapshot()).isEqualTo(before);
  }

  @Test
  void aFailedApplyIsUndoneByClose() throws IOException {
    String before = snapshot();
    HostChanges changes = HostChanges.open(state, ns);
    AutoRoute bad = AutoRoute.builder("nosuchdev0").mark(0x2022).build();
    assertThatThrownBy(() -> bad.apply(changes))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("ip -4 route add default dev nosuchdev0 table 2022");
    changes.close();
    assertThat(snapshot()).isEqualTo(before);
  }
}
