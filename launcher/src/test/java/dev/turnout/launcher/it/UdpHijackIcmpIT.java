package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.UdpEcho;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 6 end to end, in the sandbox: UDP through the NAT and the UDP relay to an echo server in
 * the "internet" namespace, local answers to pings of fake IPs, DNS hijack of queries to another
 * resolver with auto-route, the same by rule through a {@code type: dns} proxy, and auto-route's
 * rules undone after SIGTERM and, after SIGKILL, by {@code turnout cleanup}. Every socket lives in
 * the sandbox's namespaces.
 */
class UdpHijackIcmpIT {
  private static final Duration T = Duration.ofSeconds(60);

  private static String config(String tunExtra) {
    return config(tunExtra, "", "");
  }

  /** {@code proxies}: a proxies: section, or empty; {@code rule}: a rule line before MATCH. */
  private static String config(String tunExtra, String proxies, String rule) {
    return String.join(
        "\n",
        "log-level: info",
        "dns:",
        "  enable: true",
        "  fake-ip-range: 198.18.0.0/15",
        "  nameserver: [203.0.113.1]",
        "tun:",
        "  enable: true",
        "  device: turnout0",
        tunExtra,
        proxies + "rules:",
        rule,
        "  - MATCH,DIRECT",
        "");
  }

  @Test
  void thousandDatagramsToANameComeBackIntactAndPingsOfFakeIpsAreAnswered() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      Process echo = UdpEcho.startServer(sandbox);
      try {
        TurnoutProcess turnout = sandbox.startTurnout(config("  udp-timeout: 30"));

        Command.Result result =
            sandbox.inClient(T, "python3", "-c", UdpEcho.client("www.example.test"));

        assertThat(result.exit()).as("%s", result).isZero();
        assertThat(result.stdout()).contains("resolved 198.18.").contains("echoed 1000 bad 0");
        assertThat(turnout.log())
            .contains("udp ")
            .contains("-> www.example.test:7")
            .contains("via DIRECT");

        String fake =
            sandbox.inClient(T, "dig", "+short", "@198.18.0.1", "www.example.test").stdout().trim();
        Command.Result ping = sandbox.inClient(T, "ping", "-c", "3", "-i", "0.2", "-W", "2", fake);
        assertThat(ping.exit()).as("%s", ping).isZero();
        assertThat(ping.stdout()).contains("3 received");
      } finally {
        echo.destroyForcibly();
        echo.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void withAutoRouteDnsToAnotherResolverIsAnsweredByTurnoutOverUdpAndTcp() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      String before = sandbox.routing();
      TurnoutProcess turnout =
          sandbox.startTurnout(
              config(
                  String.join(
                      "\n",
                      "  auto-route: true",
                      "  strict-route: true",
                      "  dns-hijack: [any:53, tcp://any:53]")));
      assertThat(sandbox.inClient(T, "ip", "rule").stdout())
          .contains("lookup main suppress_prefixlength 0")
          .contains("ipproto udp dport 53 lookup 2022");

      answeredByTurnout(sandbox, "203.0.113.1"); // not by dnsmasq, whose answer is 203.0.113.10
      String dnsmasqLog = Files.readString(sandbox.file("dnsmasq.log"));
      assertThat(dnsmasqLog)
          .as("the real resolver never saw the hijacked queries")
          .doesNotContain("query[A] www.example.test from 203.0.113.2");

      int exit = turnout.terminate(Duration.ofSeconds(20));
      assertThat(exit).isIn(0, 143);
      assertThat(sandbox.routing()).isEqualTo(before);
    }
  }

  /**
   * mihomo's {@code type: dns} proxy: with auto-route and no hijack, a rule sends DNS to any
   * resolver to it, and Turnout's own server answers, over UDP and TCP, as from the resolver asked.
   */
  @Test
  void aRuleSendsDnsToTheDnsProxyAndTurnoutAnswersOverUdpAndTcp() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      TurnoutProcess turnout =
          sandbox.startTurnout(
              config(
                  "  auto-route: true",
                  "proxies: [{name: dns-out, type: dns}]\n",
                  "  - DST-PORT,53,dns-out"));
      assertThat(sandbox.inClient(T, "ip", "rule").stdout())
          .as("no hijack: the rules decide")
          .doesNotContain("dport 53");

      // An address nobody has, so only Turnout can answer: the sandbox's own subnet (dnsmasq's)
      // stays on the main table's on-link route under auto-route.
      answeredByTurnout(sandbox, "198.51.100.53");
      assertThat(turnout.log()).contains("-> 198.51.100.53:53").contains("via dns-out");
    }
  }

  /** Asks {@code resolver} over UDP and TCP: the answer is a fake IP, as from that resolver. */
  private static void answeredByTurnout(Sandbox sandbox, String resolver) throws Exception {
    for (String transport : List.of("+notcp", "+tcp")) {
      Command.Result dig =
          sandbox.inClient(
              T, "dig", transport, "+time=3", "+tries=1", "@" + resolver, "www.example.test");
      assertThat(dig.exit()).as("%s", dig).isZero();
      assertThat(dig.stdout())
          .as("answered by Turnout (a fake IP) via %s, as from %s", transport, resolver)
          .containsPattern("www\\.example\\.test\\.\\s+\\d+\\s+IN\\s+A\\s+198\\.1[89]\\.")
          .contains("SERVER: " + resolver + "#53");
    }
  }

  @Test
  void afterSigkillTurnoutCleanupRemovesExactlyTheLeftoverRules() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      String before = sandbox.routing();
      String linksBefore = sandbox.inClient(T, "ip", "-o", "link").stdout();
      TurnoutProcess turnout = sandbox.startTurnout(config("  auto-route: true"));
      assertThat(sandbox.routing()).isNotEqualTo(before);
      // a download in flight when the process dies
      Process download =
          new ProcessBuilder(
                  "ip",
                  "netns",
                  "exec",
                  sandbox.client,
                  "curl",
                  "-sS",
                  "-o",
                  "/dev/null",
                  "http://www.example.test/slow/10m.bin?rate=512k") // paced by the server
              .redirectErrorStream(true)
              .redirectOutput(sandbox.file("download.log").toFile())
              .start();
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
      while (!turnout.log().contains("-> www.example.test:80") && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(download.isAlive()).as("the download is still running").isTrue();

      int program = Sandbox.fastPathProgramId(turnout);
      turnout.kill(); // SIGKILL: no shutdown hook runs
      download.destroyForcibly().waitFor();
      assertThat(Sandbox.bpfProgramLoaded(program))
          .as("the kernel detaches and frees the fast path with the process")
          .isFalse();
      assertThat(sandbox.inClient(T, "ip", "rule").stdout())
          .as("the rules outlive the process")
          .contains("lookup main suppress_prefixlength 0");

      Command.Result cleanup =
          sandbox.inClient(
              T, "java", "-jar", Sandbox.JAR.toString(), "cleanup", "--device", "turnout0");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(cleanup.stdout()).contains("undid");
      assertThat(sandbox.routing()).isEqualTo(before);
      assertThat(sandbox.inClient(T, "ip", "-o", "link").stdout()).isEqualTo(linksBefore);

      Command.Result again =
          sandbox.inClient(
              T, "java", "-jar", Sandbox.JAR.toString(), "cleanup", "--device", "turnout0");
      assertThat(again.stdout()).contains("nothing to clean up");
    }
  }
}
