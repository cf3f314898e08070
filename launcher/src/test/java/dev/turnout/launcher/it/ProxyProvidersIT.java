package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.UdpEcho;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Base64;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Subscriptions served by nginx, in Clash YAML and as a base64 URI list, each feed a group whose
 * usable member is the sandbox's dante SOCKS5 server (a hysteria2 member in each is skipped):
 * dante's log shows the traffic went through it. With nginx stopped, a restarted Turnout keeps the
 * copies it downloaded and says so, and its groups still carry traffic. A rule provider's list is
 * downloaded through the proxy its {@code proxy:} names. {@code check} on a config whose providers
 * point at a listening port connects to nothing.
 */
class ProxyProvidersIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    sandbox.startServer("socks");
    Files.writeString(
        sandbox.file("www/sub.yaml"),
        String.join(
            "\n",
            "port: 7890",
            "proxies:",
            "  - {name: hy2, type: hysteria2, server: 203.0.113.1, port: 443, password: x}",
            "  - {name: dante-yaml, type: socks5, server: 203.0.113.1, port: 1080, udp: true}",
            "proxy-groups: []",
            ""));
    String links = "hysteria2://x@203.0.113.1:443#hy2\nsocks5://203.0.113.1:1080#dante-b64\n";
    Files.writeString(
        sandbox.file("www/sub.b64"),
        Base64.getEncoder().encodeToString(links.getBytes(StandardCharsets.UTF_8)) + "\n");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  /** Both providers refreshed on every start (interval 1 s), so a restart downloads again. */
  private static String config(String state) {
    return Sandbox.config(
            "",
            String.join(
                "\n",
                "  - DOMAIN-SUFFIX,bulk.example.test,ViaYaml",
                "  - DOMAIN,real.example.test,ViaB64",
                "  - MATCH,DIRECT"))
        + String.join(
            "\n",
            "state-dir: " + state,
            "proxy-providers:",
            "  yaml: {type: http, url: 'http://www.example.test/sub.yaml', interval: 1}",
            "  b64: {type: http, url: 'http://203.0.113.10/sub.b64', interval: 1}",
            "proxy-groups:",
            "  - {name: ViaYaml, type: select, use: [yaml]}",
            "  - {name: ViaB64, type: select, use: [b64]}",
            "");
  }

  private static long danteConnects() throws Exception {
    return Files.readString(sandbox.file("danted.log"))
        .lines()
        .filter(l -> l.contains("pass(1): tcp/connect"))
        .count();
  }

  @Test
  void subscriptionsServedByNginxFeedGroupsWhoseMembersCarryTheTraffic() throws Exception {
    TurnoutProcess turnout = sandbox.startTurnout(config(sandbox.file("state1").toString()));
    assertThat(turnout.log())
        .contains("proxy provider yaml: 2 proxies (1 unavailable) from download (Clash YAML)")
        .contains("proxy provider b64: 2 proxies (1 unavailable) from download (base64 URI list)");
    long before = danteConnects();
    sandbox.assertDownloadIntact("http://bulk.example.test/10m.bin", "10m.bin");
    Command.Result small =
        sandbox.inClient(T, "curl", "-sS", "--fail", "http://real.example.test/index.html");
    assertThat(small.stdout()).as("%s", small).isEqualTo("ok\n");
    assertThat(danteConnects() - before).isEqualTo(2);
    turnout.awaitLog("real.example.test:80", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern("bulk\\.example\\.test:80 .*via ViaYaml")
        .containsPattern("real\\.example\\.test:80 .*via ViaB64");
    Path copy = sandbox.file("state1/proxy-providers/yaml.body");
    assertThat(Files.readString(copy)).contains("dante-yaml");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(copy)))
        .isEqualTo("rw-------");
    assertThat(turnout.terminate(T)).isIn(0, 143); // 143: the JVM after SIGTERM
  }

  @Test
  void withTheSubscriptionServerDownTheKeptCopyIsUsedAndTheLogSaysSo() throws Exception {
    String state = sandbox.file("state2").toString();
    assertThat(sandbox.startTurnout(config(state)).terminate(T)).isIn(0, 143);
    Path nginx = sandbox.file("nginx");
    String[] stopNginx = {
      "nginx", "-c", nginx.resolve("nginx.conf").toString(), "-p", nginx.toString(), "-s", "stop"
    };
    assertThat(sandbox.inInternet(T, stopNginx).exit()).isZero();
    Process echo = UdpEcho.startServer(sandbox);
    TurnoutProcess turnout = null;
    try {
      turnout = sandbox.startTurnout(config(state));
      assertThat(turnout.log())
          .containsPattern(
              "proxy provider b64: download failed \\(.*\\); keeping 2 proxies from the copy of")
          .containsPattern("proxy provider yaml: download failed");
      Command.Result result =
          sandbox.inClient(T, "python3", "-c", UdpEcho.client("real.example.test"));
      assertThat(result.stdout()).as("%s", result).contains("echoed 1000 bad 0");
      assertThat(turnout.log()).containsPattern("udp .*-> real\\.example\\.test:7 .*via ViaB64");
      assertThat(Files.readString(sandbox.file("danted.log"))).contains("udpassociate");
    } finally {
      if (turnout != null) {
        turnout.kill(); // the next test starts its own on the same TUN
      }
      echo.destroyForcibly().waitFor();
      sandbox.inInternet(
          T, "nginx", "-c", nginx.resolve("nginx.conf").toString(), "-p", nginx.toString());
    }
  }

  /**
   * rule-providers' proxy: the list is downloaded through dante (its log shows one more connect),
   * and its entries route; a size-limit smaller than the list fails the start, saying so.
   */
  @Test
  void aRuleProviderIsDownloadedThroughTheProxyItNames() throws Exception {
    Files.writeString(sandbox.file("www/blocked.list"), "DOMAIN,real.example.test\n");
    String config =
        Sandbox.config("", "  - RULE-SET,blocked,REJECT\n  - MATCH,DIRECT")
            + String.join(
                "\n",
                "state-dir: " + sandbox.file("state4"),
                "proxies:",
                "  - {name: dante, type: socks5, server: 203.0.113.1, port: 1080}",
                "rule-providers:",
                "  blocked:",
                "    {type: http, behavior: classical, url: 'http://203.0.113.10/blocked.list',",
                "     proxy: dante}",
                "");
    long before = danteConnects();
    TurnoutProcess turnout = sandbox.startTurnout(config);
    assertThat(danteConnects() - before).as("the download, through dante").isEqualTo(1);
    Command.Result rejected =
        sandbox.inClient(T, "curl", "-sS", "--max-time", "10", "http://real.example.test/");
    assertThat(rejected.exit()).as("%s", rejected).isNotZero();
    turnout.awaitLog("via RULE-SET,blocked,REJECT", Duration.ofSeconds(5));
    assertThat(turnout.terminate(T)).isIn(0, 143);

    Path limited = sandbox.file("limited.yaml");
    Files.writeString(
        limited,
        config
            .replace("state4", "state5")
            .replace("proxy: dante}", "proxy: dante, size-limit: 8}"));
    Command.Result refused =
        sandbox.inClient(
            T, "java", "-jar", Sandbox.JAR.toString(), "run", "-c", limited.toString());
    assertThat(refused.exit()).as("%s", refused).isNotZero();
    assertThat(refused.stderr() + refused.stdout()).contains("over its size-limit of 8");
  }

  @Test
  void checkConnectsToNothingAndWritesNothing() throws Exception {
    // A listener in the internet that records every connection it accepts.
    String recorder =
        String.join(
            "\n",
            "import socket",
            "s = socket.socket()",
            "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
            "s.bind(('203.0.113.1', 8080))",
            "s.listen(16)",
            "print('ready', flush=True)",
            "while True:",
            "    c, peer = s.accept()",
            "    print('connection from', peer, flush=True)",
            "    c.close()");
    Path log = sandbox.file("recorder.log");
    Process listener =
        new ProcessBuilder("ip", "netns", "exec", sandbox.internet, "python3", "-c", recorder)
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .start();
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (!Files.readString(log).contains("ready") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      String state = sandbox.file("state3").toString();
      Path config = sandbox.file("check.yaml");
      Files.writeString(
          config,
          config(state)
                  .replace("http://www.example.test/", "http://203.0.113.1:8080/")
                  .replace("http://203.0.113.10/", "http://203.0.113.1:8080/")
              + "rule-providers:\n"
              + "  ads: {type: http, behavior: domain, url: 'http://203.0.113.1:8080/ads.list'}\n");
      Command.Result check =
          sandbox.inClient(
              T, "java", "-jar", Sandbox.JAR.toString(), "check", "-c", config.toString());
      assertThat(check.exit()).as("%s", check).isZero();
      assertThat(check.stdout())
          .contains("proxy providers: 2 (0 read, 2 not checked: not downloaded yet: b64, yaml)")
          .contains("rule providers:  1 (0 read, 1 not checked: not downloaded yet: ads)");
      // The same listener does answer: a connection the client makes is recorded.
      sandbox.inClient(T, "curl", "-s", "-m", "5", "http://203.0.113.1:8080/probe");
      deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (!Files.readString(log).contains("connection from") && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }
      assertThat(Files.readString(log).lines().filter(l -> l.contains("connection from")))
          .as("only the probe after check connected")
          .hasSize(1);
      assertThat(Path.of(state)).doesNotExist();
    } finally {
      listener.destroyForcibly().waitFor();
    }
  }
}
