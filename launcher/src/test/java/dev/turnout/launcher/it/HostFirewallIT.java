package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * A host whose firewall drops new inbound connections by default still gets every connection
 * through Turnout, and finds its firewall as it was once Turnout stops or is killed and cleaned up.
 * The client namespace gets two firewalls at once, made by their real tools: ufw's shape through
 * iptables and ip6tables ({@code INPUT} policy DROP, accepting only established flows and loopback,
 * as {@code ufw default deny incoming} leaves it), and firewalld's through nft (a chain that
 * accepts by policy and ends in a reject). Every relayed connection arrives from the TUN as a new
 * inbound one, so without Turnout's accept both would drop it. Reloaded while Turnout runs, each
 * firewall gets the accept back.
 */
class HostFirewallIT {
  private static final Duration T = Duration.ofSeconds(30);

  private static final String FIREWALLD =
      String.join(
          "\n",
          "table inet firewalld {",
          "  chain filter_INPUT {",
          "    type filter hook input priority filter + 10; policy accept;",
          "    ct state established,related accept",
          "    iifname \"lo\" accept",
          "    meta l4proto ipv6-icmp accept",
          "    reject with icmpx admin-prohibited",
          "  }",
          "}",
          "");

  /** A firewall started after Turnout: an nftables.conf that drops what it does not accept. */
  private static final String LATE =
      String.join(
          "\n",
          "table inet late {",
          "  chain input {",
          "    type filter hook input priority filter + 20; policy drop;",
          "    ct state established,related accept",
          "    iifname \"lo\" accept",
          "    meta l4proto ipv6-icmp accept",
          "  }",
          "}",
          "");

  private static final String CONFIG =
      Sandbox.config("  ipv6: true", "  - MATCH,DIRECT")
          .replace(
              "  device: turnout0\n",
              "  device: turnout0\n  auto-route: true\n  dns-hijack: [any:53]\n");

  @Test
  void connectionsFromTheTunPassFirewallsThatDropInboundWhichAreLeftAsFound() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      for (String tool : List.of("iptables", "ip6tables")) {
        run(sandbox, tool, "-P", "INPUT", "DROP");
        addUfwRules(sandbox, tool);
      }
      // As ufw and firewalld do: neighbour discovery must pass, or IPv6 works nowhere.
      run(sandbox, "ip6tables", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT");
      Path firewalld = sandbox.file("firewalld.nft");
      Files.writeString(firewalld, FIREWALLD);
      run(sandbox, "nft", "-f", firewalld.toString());
      String before = sandbox.firewall();

      TurnoutProcess turnout = sandbox.startTurnout(CONFIG);
      for (String chain :
          List.of("ip filter INPUT", "ip6 filter INPUT", "inet firewalld filter_INPUT")) {
        assertThat(turnout.log()).contains("input chain " + chain + " drops by default");
      }
      // A relayed TCP connection over IPv4 and over IPv6, and a DNS query for another server that
      // auto-route and the hijack bring to Turnout's DNS: each arrives from the TUN.
      assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");
      assertThat(curl(sandbox, "-6", "http://v6.example.test/index.html")).isEqualTo("ok\n");
      Command.Result dig =
          sandbox.inClient(
              T, "dig", "+short", "+time=3", "+tries=1", "@198.51.100.53", "www.example.test");
      assertThat(dig.stdout()).as("%s", dig).startsWith("198.18.");

      // While Turnout runs, ufw reloads (iptables-restore flushes and refills its chains),
      // firewalld reloads (its table replaced), and a third firewall starts: each chain that drops
      // by default has Turnout's accept again within seconds, and connections pass again.
      run(sandbox, "iptables", "-F", "INPUT");
      addUfwRules(sandbox, "iptables");
      run(sandbox, "nft", "delete table inet firewalld\n" + FIREWALLD);
      run(sandbox, "nft", LATE);
      awaitAccepts(sandbox, "accept comment \"turnout: accept from turnout0\"", 4);
      assertThat(turnout.log())
          .contains("input chain ip filter INPUT was reloaded without Turnout's accept")
          .contains("input chain inet firewalld filter_INPUT was reloaded")
          .contains("input chain inet late input drops by default")
          .doesNotContain("ip6 filter INPUT was reloaded");
      assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");
      assertThat(curl(sandbox, "-6", "http://v6.example.test/index.html")).isEqualTo("ok\n");

      assertThat(turnout.terminate(T)).as("SIGTERM").isIn(0, 143);
      assertThat(sandbox.firewall()).as("after a clean stop").doesNotContain("turnout");
      // Looking for iptables-legacy's tables made none (asking iptables-legacy would have)
      // (the files are missing until the legacy modules are loaded, by any namespace)
      String legacy = "cat /proc/net/ip_tables_names /proc/net/ip6_tables_names 2>/dev/null; true";
      assertThat(run(sandbox, "sh", "-c", legacy)).doesNotContain("filter");
      run(sandbox, "nft", "delete", "table", "inet", "late");
      assertThat(sandbox.firewall()).as("as found after a clean stop").isEqualTo(before);

      turnout = sandbox.startTurnout(CONFIG);
      assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");
      turnout.kill(); // SIGKILL: no shutdown hook runs
      assertThat(sandbox.firewall())
          .as("the accepts outlive the process")
          .contains("accept comment \"turnout: accept from turnout0\"");
      Command.Result cleanup =
          sandbox.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(sandbox.firewall()).as("as found after cleanup").isEqualTo(before);
    }
  }

  /**
   * An older host's firewall: ufw's shape loaded by iptables-legacy, which nft does not list and
   * whose reloads send no message. Its chains are opened, put back after a reload (Turnout looks
   * every 5 s), and left as found after a stop and after a kill and {@code turnout cleanup}.
   */
  @Test
  void iptablesLegacyChainsAreOpenedKeptOpenAndLeftAsFound() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      for (String tool : List.of("iptables-legacy", "ip6tables-legacy")) {
        run(sandbox, tool, "-w", "-P", "INPUT", "DROP");
        addUfwRules(sandbox, tool);
      }
      run(sandbox, "ip6tables-legacy", "-w", "-A", "INPUT", "-p", "ipv6-icmp", "-j", "ACCEPT");
      String before = legacyRules(sandbox);
      String accept = "-A INPUT -i turnout0 -m comment --comment \"turnout: accept from turnout0\"";

      TurnoutProcess turnout = sandbox.startTurnout(CONFIG);
      assertThat(turnout.log())
          .contains("input chain iptables-legacy filter INPUT drops by default")
          .contains("input chain ip6tables-legacy filter INPUT drops by default");
      assertThat(legacyRules(sandbox)).contains(accept);
      assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");
      assertThat(curl(sandbox, "-6", "http://v6.example.test/index.html")).isEqualTo("ok\n");

      // ufw reloads through iptables-legacy-restore: the chain flushed and refilled
      run(sandbox, "iptables-legacy", "-w", "-F", "INPUT");
      addUfwRules(sandbox, "iptables-legacy");
      awaitLegacyAccept(sandbox, accept);
      turnout.awaitLog("input chain iptables-legacy filter INPUT was reloaded", T);
      assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");

      assertThat(turnout.terminate(T)).as("SIGTERM").isIn(0, 143);
      assertThat(legacyRules(sandbox)).as("as found after a clean stop").isEqualTo(before);

      turnout = sandbox.startTurnout(CONFIG);
      turnout.kill(); // SIGKILL: no shutdown hook runs
      assertThat(legacyRules(sandbox)).as("the accepts outlive the process").contains(accept);
      Command.Result cleanup =
          sandbox.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(legacyRules(sandbox)).as("as found after cleanup").isEqualTo(before);
    }
  }

  /**
   * A legacy firewall loaded after Turnout started, as ufw at boot may be: no message says so, and
   * Turnout, reading the kernel's list of legacy tables every 5 s, opens it then.
   */
  @Test
  void anIptablesLegacyFirewallLoadedAfterTurnoutIsOpened() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      TurnoutProcess turnout = sandbox.startTurnout(CONFIG);
      String legacy = "cat /proc/net/ip_tables_names 2>/dev/null; true";
      assertThat(run(sandbox, "sh", "-c", legacy)).doesNotContain("filter");
      run(sandbox, "iptables-legacy", "-w", "-P", "INPUT", "DROP");
      addUfwRules(sandbox, "iptables-legacy");
      String loaded = run(sandbox, "iptables-legacy", "-w", "-S", "INPUT");

      String accept = "-A INPUT -i turnout0 -m comment --comment \"turnout: accept from turnout0\"";
      awaitLegacyAccept(sandbox, accept);
      turnout.awaitLog("input chain iptables-legacy filter INPUT drops by default", T);
      assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");

      assertThat(turnout.terminate(T)).as("SIGTERM").isIn(0, 143);
      assertThat(run(sandbox, "iptables-legacy", "-w", "-S", "INPUT")).isEqualTo(loaded);
    }
  }

  /** Waits, at most 15 s, until iptables-legacy's INPUT holds {@code accept}. */
  private static void awaitLegacyAccept(Sandbox sandbox, String accept) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (!run(sandbox, "iptables-legacy", "-w", "-S", "INPUT").contains(accept)
        && System.nanoTime() < end) {
      Thread.sleep(200);
    }
    assertThat(run(sandbox, "iptables-legacy", "-w", "-S", "INPUT")).contains(accept);
  }

  /** Both families' iptables-legacy filter tables, as {@code -S} lists them. */
  private static String legacyRules(Sandbox sandbox) throws Exception {
    return run(sandbox, "iptables-legacy", "-w", "-S")
        + run(sandbox, "ip6tables-legacy", "-w", "-S");
  }

  /**
   * A Docker host's shape: forwarding on, and {@code FORWARD} policy DROP (as dockerd leaves it).
   * {@code tun.direct-nat} opens that chain to what goes through the TUN instead of giving up, so a
   * known name's DIRECT connection is forwarded by the kernel, and the chain is as found after.
   */
  @Test
  void directNatOpensAForwardChainThatDropsByDefault() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      run(sandbox, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");
      run(sandbox, "iptables", "-P", "FORWARD", "DROP");
      String before = sandbox.firewall();

      TurnoutProcess turnout =
          sandbox.startTurnout(
              Sandbox.config("", "  - MATCH,DIRECT")
                  .replace("  device: turnout0\n", "  device: turnout0\n  direct-nat: true\n"));
      turnout.awaitLog("direct-nat on", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .contains("forward chain ip filter FORWARD drops by default")
          .doesNotContain("DIRECT flows are relayed");
      // The name's first connection is relayed (its dial resolves the name), later ones forwarded.
      for (int i = 0; i < 2; i++) {
        assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");
      }
      turnout.awaitLog(
          Pattern.compile("-> www\\.example\\.test:80 .*forwarded by the kernel"),
          Duration.ofSeconds(5));
      // dockerd restarting flushes its FORWARD chain: Turnout's accepts come back, and the
      // name's connections are forwarded again.
      run(sandbox, "iptables", "-F", "FORWARD");
      awaitAccepts(sandbox, "accept comment \"turnout: accept to turnout0\"", 1);
      awaitAccepts(sandbox, "accept comment \"turnout: accept from turnout0\"", 1);
      int forwarded = turnout.count("forwarded by the kernel");
      assertThat(curl(sandbox, "-4", "http://www.example.test/index.html")).isEqualTo("ok\n");
      long end = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (turnout.count("forwarded by the kernel") == forwarded && System.nanoTime() < end) {
        Thread.sleep(100); // the connection's line is written asynchronously
      }
      assertThat(turnout.count("forwarded by the kernel")).isGreaterThan(forwarded);

      assertThat(turnout.terminate(T)).as("SIGTERM").isIn(0, 143);
      assertThat(sandbox.firewall()).as("as found after a clean stop").isEqualTo(before);
    }
  }

  /** ufw's {@code INPUT} rules under {@code default deny incoming}, in short. */
  private static void addUfwRules(Sandbox sandbox, String tool) throws Exception {
    run(
        sandbox,
        tool,
        "-A",
        "INPUT",
        "-m",
        "conntrack",
        "--ctstate",
        "RELATED,ESTABLISHED",
        "-j",
        "ACCEPT");
    run(sandbox, tool, "-A", "INPUT", "-i", "lo", "-j", "ACCEPT");
  }

  /** Waits until the ruleset holds {@code rule} {@code count} times (Turnout puts it back). */
  private static void awaitAccepts(Sandbox sandbox, String rule, int count) throws Exception {
    long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    String ruleset = sandbox.firewall();
    while (ruleset.split(Pattern.quote(rule), -1).length - 1 != count && System.nanoTime() < end) {
      Thread.sleep(200);
      ruleset = sandbox.firewall();
    }
    assertThat(ruleset.split(Pattern.quote(rule), -1).length - 1)
        .as("%s in\n%s", rule, ruleset)
        .isEqualTo(count);
  }

  private static String run(Sandbox sandbox, String... command) throws Exception {
    Command.Result result = sandbox.inClient(T, command);
    assertThat(result.exit()).as("%s", result).isZero();
    return result.stdout();
  }

  private static String curl(Sandbox sandbox, String family, String url) throws Exception {
    Command.Result result =
        sandbox.inClient(T, "curl", "-sS", "--fail", "--max-time", "10", family, url);
    assertThat(result.exit()).as("%s", result).isZero();
    return result.stdout();
  }
}
