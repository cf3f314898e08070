package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Auto-route over IPv6, in the sandbox with {@code sandbox.sh routed}: the client reaches
 * 2001:db8::/64 only through its IPv6 default route, so auto-route sends literal IPv6 connections
 * into the TUN, where the rules judge them; REJECT answers the first packet; DNS to an IPv6
 * resolver is hijacked; a LAN host is served over IPv6 in gateway mode, a path MTU smaller than its
 * own included; SIGKILL and {@code turnout cleanup} leave the IPv4 and IPv6 rules, routes and
 * forwarding switches exactly as they were. Every socket lives in the sandbox's namespaces.
 */
class Ipv6AutoRouteIT {
  private static final Duration T = Duration.ofSeconds(60);

  private static String config(Sandbox sandbox, String top) {
    return config(
        sandbox,
        top,
        "IP-CIDR6,2001:db8:dead::/48,REJECT,no-resolve",
        "IP-CIDR6,2001:db8::80/128,DIRECT,no-resolve",
        "MATCH,DIRECT");
  }

  private static String config(Sandbox sandbox, String top, String... rules) {
    return String.join(
        "\n",
        "log-level: info",
        top,
        "dns:",
        "  enable: true",
        "  ipv6: true",
        "  nameserver: [198.51.100.53]",
        "tun:",
        "  enable: true",
        "  device: turnout0",
        "  auto-route: true",
        "  dns-hijack: [any:53, tcp://any:53]",
        "state-dir: " + sandbox.file("state"),
        "rules:",
        "  - " + String.join("\n  - ", rules),
        "");
  }

  /**
   * SRC-MAC tells a LAN host by the MAC address the gateway's neighbour tables hold for its source
   * address (sandbox.sh gives it 02:00:5e:00:66:66), over IPv4 and IPv6. Only its connections get
   * through: the other MAC's rule does not match them, and this host's own, which have no MAC, meet
   * the final REJECT.
   */
  @Test
  void srcMacRulesTellALanHostByItsHardwareAddress() throws Exception {
    try (Sandbox sandbox = Sandbox.create("routed", "lan")) {
      TurnoutProcess turnout =
          sandbox.startTurnout(
              config(
                  sandbox,
                  "allow-lan: true",
                  "SRC-MAC,02:00:5e:00:66:67,REJECT",
                  "SRC-MAC,02-00-5E-00-66-66,DIRECT",
                  "MATCH,REJECT"));
      for (String url : List.of("http://198.51.100.10/", "http://[2001:db8::80]/")) {
        Command.Result lan = sandbox.inLan(T, "curl", "-sS", "--fail", "--max-time", "10", url);
        assertThat(lan.exit()).as("%s %s\n%s", url, lan, turnout.log()).isZero();
        assertThat(lan.stdout()).isEqualTo("ok\n");
        Command.Result own = sandbox.inClient(T, "curl", "-sS", "--max-time", "10", url);
        assertThat(own.exit()).as("this host's own connection to %s: %s", url, own).isNotZero();
      }
      assertThat(turnout.log())
          .containsPattern(
              "198\\.51\\.100\\.66:\\d+ -> 198\\.51\\.100\\.10:80 .*rule"
                  + " SRC-MAC,02-00-5E-00-66-66")
          .containsPattern(
              "\\[2001:db8:66::66\\]:\\d+ -> \\[2001:db8::80\\]:80 .*rule SRC-MAC,02-00-5E-00-66-66");
      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
    }
  }

  @Test
  void literalIpv6IsCapturedJudgedAndRejectedAtOnceAndCleanupRestoresBothFamilies()
      throws Exception {
    try (Sandbox sandbox = Sandbox.create("routed")) {
      String before = hostState(sandbox);
      // Without allow-lan: only this host's own addresses (here 2001:db8:113::2) start flows.
      TurnoutProcess turnout = sandbox.startTurnout(config(sandbox, ""));
      assertThat(sandbox.inClient(T, "ip", "-6", "rule").stdout())
          .contains("fwmark 0x2022 lookup main")
          .contains("lookup 2022");
      assertThat(sandbox.inClient(T, "ip", "-6", "route", "show", "table", "2022").stdout())
          .contains("default dev turnout0");

      Command.Result literal =
          sandbox.inClient(
              T, "curl", "-sS", "--fail", "--max-time", "10", "http://[2001:db8::80]/index.html");
      assertThat(literal.exit()).as("%s\n%s", literal, turnout.log()).isZero();
      assertThat(literal.stdout()).isEqualTo("ok\n");
      turnout.awaitLog("[2001:db8::80]:80", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "tcp \\[\\S+\\]:\\d+ -> \\[2001:db8::80\\]:80 .*rule IP-CIDR6,2001:db8::80/128\\S* .*"
                  + "via DIRECT")
          .as("Turnout's own marked socket never came back through its TUN")
          .doesNotContainPattern("tcp \\[2001:db8:113::2\\]");

      long start = System.nanoTime();
      Command.Result rejected =
          sandbox.inClient(T, "curl", "-sS", "--max-time", "10", "http://[2001:db8:dead::1]/");
      assertThat(rejected.exit()).as("%s", rejected).isEqualTo(7);
      Command.Result udpRejected = sandbox.inClient(T, "python3", "-c", UDP_TO_REJECTED);
      assertThat(udpRejected.stdout()).as("%s", udpRejected).contains("ConnectionRefusedError");
      assertThat(System.nanoTime() - start)
          .as("a RST and an ICMPv6 unreachable on the first packet, no timeout")
          .isLessThan(Duration.ofSeconds(5).toNanos());
      // The log trails by up to one batch of its writer: wait for the later line, then read it.
      turnout.awaitLog("[2001:db8:dead::1]:9999", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern("\\[2001:db8:dead::1\\]:80 .*via REJECT \\(first packet\\)")
          .containsPattern("udp .*\\[2001:db8:dead::1\\]:9999 .*via REJECT \\(first packet\\)");

      // DNS to an IPv6 resolver is hijacked and answered with a fake IPv6 address.
      Command.Result dig =
          sandbox.inClient(
              T,
              "dig",
              "+short",
              "+time=3",
              "+tries=1",
              "AAAA",
              "@2001:db8::53",
              "routed6.example.test");
      assertThat(dig.stdout().trim()).as("%s", dig).startsWith("fdfe:dcba:9876::");
      Command.Result byName =
          sandbox.inClient(
              T,
              "curl",
              "-sS",
              "--fail",
              "--max-time",
              "10",
              "-6",
              "http://routed6.example.test/index.html");
      assertThat(byName.exit()).as("%s\n%s", byName, turnout.log()).isZero();

      turnout.kill(); // SIGKILL: no shutdown hook runs
      assertThat(sandbox.inClient(T, "ip", "-6", "rule").stdout())
          .as("the rules outlive the process")
          .contains("lookup 2022");
      Command.Result cleanup =
          sandbox.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(hostState(sandbox)).isEqualTo(before);
    }
  }

  /**
   * Gateway mode over IPv6: a LAN host's literal IPv6 connection is captured and served, with
   * forwarding turned on (journaled), and after SIGKILL and {@code cleanup} every forwarding switch
   * is as it was, one interface's own included. The client's link to the LAN has a smaller MTU than
   * the LAN host's own: replies the relay sends at the LAN host's MSS do not fit, the kernel
   * answers with packet too big towards the remote address, which enters the TUN, and the rewriter
   * turns it back into what the relay's socket sent, so the socket learns the path MTU (its route
   * to the session address shows it) and the download completes instead of stalling.
   */
  @Test
  void aLanHostIsServedOverIpv6AndPacketTooBigReachesTheRelay() throws Exception {
    try (Sandbox sandbox = Sandbox.create("routed", "lan")) {
      String lanSide =
          sandbox
              .inClient(T, "sh", "-c", "ip -o -6 addr show to 2001:db8:66::65 | cut -d' ' -f2")
              .stdout()
              .trim();
      assertThat(sandbox.inClient(T, "ip", "link", "set", lanSide, "mtu", "1280").exit()).isZero();
      // One interface forwards on its own: turning the all switches off again must not stop it.
      Command.Result lo =
          sandbox.inClient(
              T,
              "sysctl",
              "-q",
              "-w",
              "net.ipv4.conf.lo.forwarding=1",
              "net.ipv6.conf.lo.forwarding=1");
      assertThat(lo.exit()).as("%s", lo).isZero();
      String before = hostState(sandbox);
      assertThat(before).contains("net.ipv6.conf.lo.forwarding = 1");
      TurnoutProcess turnout = sandbox.startTurnout(config(sandbox, "allow-lan: true"));
      assertThat(forwarding6(sandbox)).isEqualTo("1");
      assertThat(sandbox.hostJournal()).contains("sysctl net.ipv6.conf.all.forwarding 0 1");

      Command.Result download =
          sandbox.inLan(
              T,
              "curl",
              "-sS",
              "--fail",
              "--max-time",
              "20",
              "-o",
              sandbox.file("lan-256k.bin").toString(),
              "http://[2001:db8::80]/256k.bin");
      assertThat(download.exit()).as("%s\n%s", download, turnout.log()).isZero();
      assertThat(Sandbox.sha256(sandbox.file("lan-256k.bin")))
          .isEqualTo(Sandbox.sha256(sandbox.file("www/256k.bin")));
      assertThat(turnout.log())
          .containsPattern("tcp \\[2001:db8:66::66\\]:\\d+ -> \\[2001:db8::80\\]:80");
      assertThat(sandbox.inClient(T, "ip", "-6", "route", "show", "cache").stdout())
          .as("the relay's route to its peer's session address learned the smaller MTU")
          .containsPattern("fdfe:dcba:9876:0:8000:\\S* .*mtu 1280");

      turnout.kill(); // SIGKILL: no shutdown hook runs
      assertThat(forwarding6(sandbox)).as("outlives the process").isEqualTo("1");
      Command.Result cleanup =
          sandbox.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(forwarding6(sandbox)).isEqualTo("0");
      assertThat(withoutRouteCache(hostState(sandbox))).isEqualTo(withoutRouteCache(before));
    }
  }

  /** The rules and routes of both families, and every forwarding switch of both. */
  private static String hostState(Sandbox sandbox) throws Exception {
    Command.Result forwarding =
        sandbox.inClient(
            T,
            "sh",
            "-c",
            "sysctl -a 2>/dev/null | grep -E '[._]forwarding =|ip_forward =' | grep -v mc_");
    assertThat(forwarding.stdout()).contains("net.ipv6.conf.all.forwarding");
    return sandbox.routing() + "\n----\n" + forwarding.stdout();
  }

  private static String forwarding6(Sandbox sandbox) throws Exception {
    return sandbox.inClient(T, "sysctl", "-n", "net.ipv6.conf.all.forwarding").stdout().trim();
  }

  /** Route cache exceptions (a learned path MTU) are the kernel's, not Turnout's changes. */
  private static String withoutRouteCache(String routing) {
    return String.join("\n", routing.lines().filter(line -> !line.contains(" expires ")).toList());
  }

  /** A UDP datagram to a rejected IPv6 address: the ICMPv6 unreachable refuses the socket. */
  private static final String UDP_TO_REJECTED =
      String.join(
          "\n",
          "import socket",
          "s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)",
          "s.settimeout(3)",
          "s.connect(('2001:db8:dead::1', 9999))",
          "s.send(b'x')",
          "try:",
          "    s.recv(10)",
          "    print('answered')",
          "except Exception as e:",
          "    print(type(e).__name__)");
}
