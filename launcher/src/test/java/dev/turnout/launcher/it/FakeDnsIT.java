package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fake-IP DNS server end to end: dig and kdig in the client namespace ask Turnout, whose only
 * upstream is DNS over TLS (stunnel in front of dnsmasq in the "internet" namespace, a certificate
 * made for the test and trusted through {@code javax.net.ssl.trustStore}). Covers every query type
 * Turnout answers itself, the filter modes, hosts, persistence across SIGTERM and SIGKILL through a
 * real TCP connection, and pinning of a live connection's address across pool wrap-around.
 */
class FakeDnsIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static Sandbox sandbox;
  private TurnoutProcess turnout;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    Command.Result dot =
        Sandbox.run(
            T,
            Sandbox.ROOT.resolve("sandbox/sandbox.sh").toString(),
            "dot",
            sandbox.name,
            sandbox.dir.toString());
    assertThat(dot.exit()).as("sandbox dot: %s", dot).isZero();
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @AfterEach
  void stopTurnout() throws Exception {
    if (turnout != null) {
      turnout.kill();
    }
  }

  /** Starts Turnout trusting the DoT certificate; the sandbox kills it at the end in any case. */
  private TurnoutProcess startTurnout(String yaml) throws Exception {
    turnout = sandbox.startTurnout(yaml, sandbox.trustingSandboxTls());
    return turnout;
  }

  private static String config(String range, String dnsExtra, String topExtra) {
    return String.join(
        "\n",
        "log-level: info",
        "state-dir: " + sandbox.file("state"),
        topExtra,
        "dns:",
        "  enable: true",
        "  fake-ip-range: " + range,
        "  nameserver: [\"tls://203.0.113.1\"]",
        dnsExtra,
        "tun:",
        "  enable: true",
        "  device: turnout0",
        "rules:",
        "  - MATCH,DIRECT",
        "");
  }

  private static String dig(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("dig", "+short", "+time=3", "+tries=1", "@198.18.0.1"));
    command.addAll(List.of(args));
    Command.Result result = sandbox.inClient(T, command.toArray(String[]::new));
    assertThat(result.exit()).as("%s", result).isZero();
    return result.stdout().trim();
  }

  private static String status(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of("dig", "+noall", "+comments", "+time=3", "+tries=1", "@198.18.0.1"));
    command.addAll(List.of(args));
    String out = sandbox.inClient(T, command.toArray(String[]::new)).stdout();
    int at = out.indexOf("status: ");
    assertThat(at).as(out).isPositive();
    return out.substring(at + 8, out.indexOf(',', at));
  }

  @Test
  void everyQueryTypeOverUdpAndTcpWithADnsOverTlsUpstream() throws Exception {
    startTurnout(
        config(
            "198.18.0.0/15",
            "  fake-ip-filter: [real.example.test]",
            "hosts:\n  router.lan: 192.168.1.1\n  \"+.dev.test\": [127.0.0.1, \"::1\"]"));
    String fake = dig("www.example.test");
    assertThat(fake).startsWith("198.18.");
    assertThat(dig("+tcp", "www.example.test")).isEqualTo(fake);
    Command.Result kdig =
        sandbox.inClient(T, "kdig", "+tcp", "+short", "@198.18.0.1", "www.example.test");
    assertThat(kdig.stdout().trim()).as("%s", kdig).isEqualTo(fake);
    // AAAA without ipv6, HTTPS and SVCB: empty NOERROR answers
    assertThat(dig("www.example.test", "AAAA")).isEmpty();
    assertThat(status("www.example.test", "AAAA")).isEqualTo("NOERROR");
    assertThat(dig("www.example.test", "HTTPS")).isEmpty();
    assertThat(status("www.example.test", "TYPE64")).isEqualTo("NOERROR"); // SVCB
    // PTR of the fake IP names it
    assertThat(dig("-x", fake)).isEqualTo("www.example.test.");
    // real answers through DNS over TLS: a filtered name, other types, over UDP and TCP
    assertThat(dig("real.example.test")).isEqualTo("203.0.113.10");
    assertThat(dig("example.test", "MX")).isEqualTo("10 mail.example.test.");
    assertThat(dig("+tcp", "example.test", "TXT")).isEqualTo("\"turnout sandbox\"");
    assertThat(status("nothing.nowhere.test", "MX")).isEqualTo("NXDOMAIN");
    // hosts
    assertThat(dig("router.lan")).isEqualTo("192.168.1.1");
    assertThat(dig("a.dev.test", "AAAA")).isEqualTo("::1");
    assertThat(turnout.log()).contains("tls://203.0.113.1:853").doesNotContain("Exception");
  }

  @Test
  void whitelistModeAndAnIpv6Pool() throws Exception {
    startTurnout(
        config(
            "198.18.0.0/15",
            String.join(
                "\n",
                "  fake-ip-filter: [www.example.test]",
                "  fake-ip-filter-mode: whitelist",
                "  ipv6: true",
                "  fake-ip-range6: fdfe:dcba:9876::/64"),
            ""));
    assertThat(dig("www.example.test")).startsWith("198.18.");
    String v6 = dig("www.example.test", "AAAA");
    assertThat(v6).startsWith("fdfe:dcba:9876::");
    assertThat(dig("-x", v6)).isEqualTo("www.example.test.");
    assertThat(dig("real.example.test")).isEqualTo("203.0.113.10"); // not listed: real
  }

  /**
   * fake-ip-filter-mode: rule, as mihomo reads it: the first rule that matches a name says fake-ip
   * or real-ip (a rule set among them), and MATCH the rest.
   */
  @Test
  void ruleModeGivesEachNameWhatItsFirstMatchingRuleSays() throws Exception {
    startTurnout(
        config(
            "198.18.0.0/15",
            String.join(
                "\n",
                "  fake-ip-filter-mode: rule",
                "  fake-ip-filter:",
                "    - DOMAIN,www.example.test,fake-ip",
                "    - RULE-SET,reals,real-ip",
                "    - DOMAIN-KEYWORD,example,Real-IP",
                "    - MATCH,fake-ip"),
            "rule-providers:\n  reals: {type: inline, behavior: domain, payload: ['abroad.example.test']}"));
    assertThat(dig("www.example.test"))
        .as("first rule, though the keyword says real")
        .startsWith("198.18.");
    assertThat(dig("abroad.example.test")).as("the rule set").isEqualTo("198.51.100.10");
    assertThat(dig("real2.example.test")).as("the keyword").isEqualTo("203.0.113.10");
    assertThat(dig("routed.nowhere.test")).as("MATCH").startsWith("198.18.");
  }

  /**
   * The store's text; empty while a snapshot is being swapped in (the old file is renamed to the
   * backup just before the new one takes its name).
   */
  private static String snapshot(Path store) throws java.io.IOException {
    try {
      return new String(Files.readAllBytes(store), StandardCharsets.ISO_8859_1);
    } catch (java.nio.file.NoSuchFileException e) {
      return "";
    }
  }

  @Test
  void mappingsSurviveSigtermAndSigkillThroughARealTcpConnection() throws Exception {
    String yaml = config("198.18.0.0/15", "", "profile:\n  store-fake-ip: true");
    startTurnout(yaml);
    String www = dig("www.example.test");
    assertThat(turnout.terminate(T)).isIn(0, 143); // 143: the JVM's exit status after SIGTERM

    startTurnout(yaml);
    turnout.awaitLog("restored", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("restored");
    // the application cached www's answer before the restart and connects without asking again
    assertThat(curlResolved("www.example.test", www)).isEqualTo("ok\n");

    String bulk = dig("bulk.example.test");
    assertThat(bulk).isNotEqualTo(www);
    Path store = sandbox.file("state/fakeip.cache");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!snapshot(store).contains("bulk.example.test")) {
      assertThat(System.nanoTime()).as("snapshot written within 20 s").isLessThan(deadline);
      Thread.sleep(100); // the write-behind snapshot, at most one per second
    }
    turnout.kill(); // SIGKILL: no shutdown hook, no last snapshot
    startTurnout(yaml);
    assertThat(curlResolved("bulk.example.test", bulk)).isEqualTo("ok\n");
    assertThat(curlResolved("www.example.test", www)).isEqualTo("ok\n");
    assertThat(dig("www.example.test")).isEqualTo(www);
  }

  @Test
  void aLiveConnectionKeepsItsAddressWhileThePoolWrapsAround() throws Exception {
    // a /24: 126 fake addresses, so 300 names wrap the pool twice
    startTurnout(config("198.18.0.0/24", "", ""));
    String www = dig("www.example.test");
    Path out = sandbox.file("slow.bin");
    Process slow =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                sandbox.client,
                "curl",
                "-sS",
                "--fail",
                "-o",
                out.toString(),
                // The server paces it (nginx limit_rate): curl's own --limit-rate once let the
                // download end within a second here, before the lookups did.
                "http://www.example.test/slow/10m.bin?rate=1m")
            .redirectErrorStream(true)
            .redirectOutput(sandbox.file("slow.log").toFile())
            .start();
    try {
      turnout.awaitLog("-> www.example.test:80", Duration.ofSeconds(20));
      Path names = sandbox.file("names.txt");
      StringBuilder batch = new StringBuilder();
      for (int i = 0; i < 300; i++) {
        batch.append("name").append(i).append(".example.test A\n");
      }
      Files.writeString(names, batch);
      Command.Result many =
          sandbox.inClient(
              T, "dig", "+short", "+time=3", "+tries=1", "@198.18.0.1", "-f", names.toString());
      assertThat(many.exit()).as("%s", many).isZero();
      // Only meaningful while the download still holds its pin (about 10 s at 1 MB/s).
      assertThat(slow.isAlive())
          .as(
              "the download outlasts the lookups (curl: %s; Turnout: %s)",
              Files.readString(sandbox.file("slow.log")),
              turnout.log().lines().filter(l -> l.contains("www.example.test")).toList())
          .isTrue();
      assertThat(many.stdout().lines().distinct().count()).isGreaterThan(100);
      assertThat(many.stdout().lines()).doesNotContain(www); // pinned: never handed out
      assertThat(dig("-x", www)).isEqualTo("www.example.test.");
      assertThat(slow.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(slow.exitValue()).isZero();
      assertThat(Sandbox.sha256(out)).isEqualTo(Sandbox.sha256(sandbox.file("www/10m.bin")));
    } finally {
      slow.destroyForcibly();
    }
  }

  private static String curlResolved(String name, String address) throws Exception {
    Command.Result r =
        sandbox.inClient(
            T,
            "curl",
            "-sS",
            "--fail",
            "--max-time",
            "10",
            "--resolve",
            name + ":80:" + address,
            "http://" + name + "/index.html");
    assertThat(r.exit()).as("%s", r).isZero();
    return r.stdout();
  }
}
