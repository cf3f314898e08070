package dev.turnout.hostnet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Cidr;
import dev.turnout.testing.Directories;
import dev.turnout.testing.Netns;
import dev.turnout.testing.Root;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Needs root. A host namespace forwards flows of the NAT pool, as the TUN NAT would write them, to
 * an "internet" namespace; everything runs in namespaces the test makes, never on the host.
 *
 * <pre>
 *   app (198.19.0.5, the pool) == tnt0 [host] up0 (203.0.113.1/26) == internet (203.0.113.2/26,
 *                                     lan0 (203.0.113.65/26)             203.0.113.200 on lo)
 *                                       ||
 *                                     lan (203.0.113.66/26)
 * </pre>
 *
 * {@code tnt0} is a veth standing in for the TUN (198.18.0.1/15, the fake range): a packet from the
 * app enters the host by it, as one the NAT writes into the TUN does. The internet has no route to
 * the pool, so a reply reaches the app only if the host masqueraded the flow; it routes the LAN's
 * range back to the host, so the LAN reaches it whenever the host forwards.
 */
class ForwardedNatIT {
  static final String DEVICE = "tnt0";
  static final String POOL = "198.19.0.0/16";
  static final String APP = "198.19.0.5";
  static final String REMOTE = "203.0.113.200";
  final List<Netns> namespaces = new ArrayList<>();
  Netns host;
  Netns app;
  Netns lan;
  Commands ns;
  Path state;

  @BeforeEach
  void buildTheNetwork() throws Exception {
    Root.assertRoot("ForwardedNatIT");
    host = namespace("fnh");
    app = namespace("fna");
    Netns internet = namespace("fni");
    lan = namespace("fnl");
    ns = ProcessCommands.inNamespace(host.name);
    // Forwarding off everywhere in the host (a new namespace copies the machine's), loose rp_filter
    // (strict drops replies whose reverse route is the TUN, see AutoRoute).
    host.in("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
    host.in("sysctl", "-q", "-w", "net.ipv4.conf.all.rp_filter=2");
    link(app, "app0", APP + "/15", host, DEVICE, "198.18.0.1/15");
    link(internet, "inet0", "203.0.113.2/26", host, "up0", "203.0.113.1/26");
    link(lan, "lan1", "203.0.113.66/26", host, "lan0", "203.0.113.65/26");
    app.in("ip", "route", "add", "default", "via", "198.18.0.1");
    lan.in("ip", "route", "add", "default", "via", "203.0.113.65");
    host.in("ip", "route", "add", "default", "via", "203.0.113.2");
    internet.in("ip", "addr", "add", REMOTE + "/32", "dev", "lo");
    internet.in("ip", "route", "add", "203.0.113.64/26", "via", "203.0.113.1");
    state = Files.createTempDirectory("turnout-forwarded-nat-it");
  }

  @AfterEach
  void tearDown() {
    for (Netns n : namespaces) {
      n.close();
    }
    if (state != null) {
      Directories.deleteTree(state);
    }
  }

  @Test
  void theTunsOwnForwardingDoesNotCarryTheReplies() throws Exception {
    try (HostChanges changes = HostChanges.open(state, ns)) {
      changes.setSysctl("net.ipv4.conf." + DEVICE + ".forwarding", "1");
      changes.addNftTable(
          ForwardedNat.FAMILY,
          ForwardedNat.tableName(DEVICE),
          ForwardedNat.table(DEVICE, Cidr.parseStrict(POOL), null, false));
      assertThat(reaches(app)).as("replies come in by up0, which does not forward").isFalse();

      changes.setSysctl("net.ipv4.conf.up0.forwarding", "1");
      assertThat(reaches(app)).as("with up0's forwarding on too").isTrue();
    }
  }

  @Test
  void poolFlowsAreForwardedMasqueradedAndNothingElseUntilClose() throws Exception {
    host.in("sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
    assertThat(reaches(lan)).as("the LAN reaches the internet when the host forwards").isTrue();
    assertThat(reaches(app)).as("but the pool needs masquerading").isFalse();
    host.in("sysctl", "-q", "-w", "net.ipv4.ip_forward=0");
    String before = snapshot();

    try (HostChanges changes = HostChanges.open(state, ns)) {
      ForwardedNat.apply(changes, DEVICE, POOL, null, null);

      assertThat(ns.check(List.of("nft", "list", "tables"))).contains("table ip turnout_tnt0");
      assertThat(sysctl("net.ipv4.conf." + DEVICE + ".forwarding")).isEqualTo("1");
      assertThat(reaches(app)).isTrue();
      assertThat(reaches(lan)).as("forwarding serves the pool only").isFalse();
    }

    assertThat(snapshot()).isEqualTo(before);
    assertThat(reaches(app)).isFalse();
  }

  @Test
  void withCaptureAllTheForwardedFlowLeavesByMainAndACrashIsCleanedUp() throws Exception {
    String before = snapshot();
    AutoRoute autoRoute = AutoRoute.builder(DEVICE).build();
    HostChanges crashed = HostChanges.open(state, ns);
    autoRoute.apply(crashed);
    ForwardedNat.apply(crashed, DEVICE, POOL, autoRoute, null);

    assertThat(ns.check(List.of("ip", "-4", "rule")))
        .contains((AutoRoute.DEFAULT_PRIORITY + 1) + ":\tfrom all iif " + DEVICE + " lookup main");
    assertThat(reaches(app)).as("not looped back into the TUN by table 2022").isTrue();

    crashed.abandon(); // the process died, and its TUN with it
    host.in("ip", "link", "del", DEVICE);
    int undone = HostChanges.cleanup(state, ProcessCommands.inNamespace(host.name));

    assertThat(undone).isEqualTo(autoRoute.plan().size() + 5);
    assertThat(snapshot()).isEqualTo(before.replaceAll("(?m)^.*" + DEVICE + ".*\n", ""));
    assertThat(HostChanges.hasJournal(state)).isFalse();
  }

  /** Rules, routes, nftables and forwarding settings of the host namespace. */
  String snapshot() throws IOException {
    return String.join(
        "\n",
        ns.check(List.of("ip", "-4", "rule")),
        ns.check(List.of("ip", "-4", "route", "show", "table", "all")),
        ns.check(List.of("nft", "list", "ruleset")),
        ns.check(
            List.of("sysctl", "-a", "-r", "^net\\.ipv4\\.(ip_forward|conf\\..*\\.forwarding)")));
  }

  String sysctl(String key) throws IOException {
    return ns.check(List.of("sysctl", "-n", key)).strip();
  }

  /** Whether {@code from} gets a reply from {@link #REMOTE} (any of three pings, 1 s each). */
  boolean reaches(Netns from) throws Exception {
    return from.exec(
                java.time.Duration.ofSeconds(10),
                "ping",
                "-n",
                "-c",
                "3",
                "-i",
                "0.2",
                "-W",
                "1",
                "-w",
                "3",
                REMOTE)
            .exit()
        == 0;
  }

  Netns namespace(String prefix) throws Exception {
    Netns n = Netns.isolated(prefix);
    namespaces.add(n);
    n.in("ip", "link", "set", "lo", "up");
    return n;
  }

  /** A veth pair between two of the test's namespaces, both ends addressed and up. */
  static void link(Netns a, String aName, String aCidr, Netns b, String bName, String bCidr)
      throws Exception {
    Netns.run(
        "ip", "link", "add", aName, "netns", a.name, "type", "veth", "peer", "name", bName, "netns",
        b.name);
    a.in("ip", "addr", "add", aCidr, "dev", aName);
    a.in("ip", "link", "set", aName, "up");
    b.in("ip", "addr", "add", bCidr, "dev", bName);
    b.in("ip", "link", "set", bName, "up");
  }
}
