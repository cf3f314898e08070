package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as people script against it: exit codes and what check/explain print. */
class CommandLineTest {
  @TempDir Path dir;

  private static Cli.Run run(String... args) {
    return Cli.run(args);
  }

  private Path config(String yaml) throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  /** A config of {@code lines} after two lines naming an upstream: line 3 is the first given. */
  private Path withDns(String... lines) throws Exception {
    return config("dns:\n  nameserver: [192.0.2.1]\n" + String.join("\n", lines) + "\n");
  }

  @Test
  void checkAcceptsTheExampleConfig() {
    Cli.Run run = run("check", "-c", "../config.yaml.example");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("OK");
  }

  @Test
  void checkAcceptsEveryProxyTypeAndTransportOfASubscription() {
    Cli.Run run = run("check", "-c", "src/test/resources/subscription.yaml");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("OK").contains("36 usable, 0 unsupported");
    // Only the notes shown once per load: no certificate check, no browser hello, no early data.
    assertThat(run.err())
        .contains("skip-cert-verify is on")
        .contains("client-fingerprint is accepted but not imitated")
        .contains("no early data is sent");
    assertThat(run.err().lines().filter(l -> l.startsWith("src/test/resources/subscription.yaml:")))
        .hasSize(3)
        .allMatch(l -> l.contains(": warning: "));
  }

  @Test
  void checkPrintsEveryProblemWithFileAndLine() throws Exception {
    Path file =
        withDns(
            "rules:",
            "  - DOMAIN-SUFFIX,example.com,Nowhere",
            "  - IP-CIDR,300.0.0.0/8,DIRECT",
            "  - MATCH,DIRECT");
    Cli.Run run = run("check", "-c", file.toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .contains(file + ":4")
        .contains("Nowhere")
        .contains(file + ":5")
        .contains("300.0.0.0/8");
  }

  @Test
  void aBadProxyEntryNamesFileLineProxyAndField() throws Exception {
    Path file =
        withDns(
            "proxies:",
            "  - {name: ok, type: socks5, server: 192.0.2.9, port: 1080}",
            "  - name: hk1",
            "    type: ss",
            "    server: 192.0.2.10",
            "    port: 8388",
            "    cipher: rc5-mdx",
            "    password: x",
            "proxy-groups:",
            "  - {name: Proxy, type: select, proxies: [ok, missing]}",
            "rules:",
            "  - MATCH,Proxy");
    Cli.Run run = run("check", "-c", file.toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err())
        .contains(file + ":9: proxies: proxy \"hk1\": field \"cipher\"") // the cipher's line
        .contains(file + ":12: proxy-groups: ")
        .contains("missing");
  }

  @Test
  void checkReportsEveryProblemOfAFileInOneRunSortedByLineWithACount() throws Exception {
    Path file =
        config(
            String.join(
                "\n",
                "log-level: loud", // 1: top level
                "dns:",
                "  nameserver: [192.0.2.1]",
                "  listne: 1.2.3.4:53", // 4: dns
                "tun:",
                "  mtu: 70000", // 6: tun
                "proxies:",
                "  - name: hk1",
                "    type: ss",
                "    server: 192.0.2.10",
                "    port: 8388",
                "    cipher: rc5-mdx", // 12: a proxy field
                "    password: x",
                "    mystery: 1", // 14: an unknown proxy key, a warning
                "proxy-groups:",
                "  - name: Proxy",
                "    type: url-test",
                "    proxies: [DIRECT]",
                "    url: http://198.51.100.1/",
                "    interval: soon", // 20: a group field
                "rules:",
                "  - DOMAIN-SUFFIX,example.com,Nowhere", // 22: a rule
                "  - DOMAIN-SUFFIX,example.org,hk1", // fine: hk1's own errors are shown above
                "  - MATCH,Proxy",
                ""));
    Cli.Run run = run("check", "-c", file.toString());
    assertThat(run.exit()).isEqualTo(1);
    List<String> lines =
        run.err()
            .lines()
            .filter(l -> l.startsWith(file.toString()) || l.contains("errors"))
            .toList();
    assertThat(lines)
        .containsExactly(
            file
                + ":1: log-level: expected one of silent, error, warning, info, debug, got \"loud\"",
            file
                + ":4: dns.listne: unknown key; expected one of cache-algorithm,"
                + " default-nameserver, direct-nameserver, direct-nameserver-follow-policy,"
                + " enable, enhanced-mode, fake-ip-filter, fake-ip-filter-mode, fake-ip-range,"
                + " fake-ip-range6, fake-ip-ttl, fallback, fallback-filter, ipv6, listen, nameserver,"
                + " nameserver-policy, prefer-h3, proxy-server-nameserver,"
                + " proxy-server-nameserver-policy, respect-rules, system-resolver, use-hosts,"
                + " use-system-hosts",
            file + ":6: tun.mtu: expected an integer from 576 to 65535, got \"70000\"",
            file
                + ":12: proxies: proxy \"hk1\": field \"cipher\": expected one of aes-128-gcm,"
                + " aes-192-gcm, aes-256-gcm, chacha20-ietf-poly1305, xchacha20-ietf-poly1305,"
                + " got \"rc5-mdx\"",
            file + ":14: warning: proxies: proxy \"hk1\": field \"mystery\": unknown key, ignored",
            file
                + ":20: proxy-groups: proxy-group \"Proxy\": field \"interval\": expected a whole"
                + " number from 1 to 86400, got \"soon\"",
            file + ":22: unknown policy 'Nowhere': DOMAIN-SUFFIX,example.com,Nowhere",
            "6 errors, 1 warning");
  }

  @Test
  void aFileWithOnlyWarningsPassesAndShowsThem() throws Exception {
    Path file =
        withDns(
            "proxies:",
            "  - {name: ok, type: socks5, server: 192.0.2.9, port: 1080, colour: blue}",
            "rules:",
            "  - MATCH,ok");
    Cli.Run run = run("check", "-c", file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).contains(file + ":4: warning: proxies: ").contains("0 errors, 1 warning");
    assertThat(run.out()).contains("OK");
  }

  @Test
  void rulesMayNameProxiesAndGroups() throws Exception {
    Path file =
        withDns(
            "proxies:",
            "  - {name: ok, type: socks5, server: 192.0.2.9, port: 1080}",
            "proxy-groups:",
            "  - {name: Proxy, type: select, proxies: [ok, DIRECT]}",
            "rules:",
            "  - DOMAIN-SUFFIX,example.com,Proxy",
            "  - DOMAIN-SUFFIX,example.org,ok",
            "  - MATCH,GLOBAL");
    Cli.Run run = run("explain", "-c", file.toString(), "--no-resolve", "www.example.com");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("policy:  Proxy");
  }

  @Test
  void explainNamesRuleSourceAndPolicy() throws Exception {
    Path file =
        withDns(
            "rules:",
            "  - DOMAIN-SUFFIX,example.com,REJECT",
            "  - IP-CIDR,10.0.0.0/8,DIRECT,no-resolve",
            "  - DST-PORT,22,REJECT",
            "  - MATCH,DIRECT");
    Cli.Run byName = run("explain", "-c", file.toString(), "www.Example.com.");
    assertThat(byName.exit()).isZero();
    assertThat(byName.out())
        .contains("policy:  REJECT")
        .contains("rule:    DOMAIN-SUFFIX,example.com")
        .contains("source:  " + file + ":4");
    Cli.Run byIp = run("explain", "-c", file.toString(), "10.1.2.3:22");
    assertThat(byIp.out()).contains("policy:  DIRECT").contains(file + ":5");
    Cli.Run byPort = run("explain", "-c", file.toString(), "--no-resolve", "other.org:22");
    assertThat(byPort.out()).contains("policy:  REJECT").contains("rule:    DST-PORT,22");
  }

  @Test
  void explainAssumesACapturedFlowUnlessToldTheInboundOrOwner() throws Exception {
    Path file =
        withDns(
            "rules:",
            "  - PROCESS-NAME-REGEX,^fire,REJECT",
            "  - UID,1000-1999,REJECT-DROP",
            "  - AND,((IN-TYPE,socks),(IN-USER,alice)),REJECT",
            "  - IN-NAME,DEFAULT-TUN,DIRECT",
            "  - MATCH,REJECT");
    String f = file.toString();
    assertThat(run("explain", "-c", f, "--no-resolve", "a.test").out())
        .contains("rule:    IN-NAME,DEFAULT-TUN");
    assertThat(
            run("explain", "-c", f, "--no-resolve", "--process", "/usr/bin/firefox", "a.test")
                .out())
        .contains("rule:    PROCESS-NAME-REGEX,^fire");
    assertThat(run("explain", "-c", f, "--no-resolve", "--uid", "1500", "a.test").out())
        .contains("policy:  REJECT-DROP");
    Cli.Run socks =
        run(
            "explain",
            "-c",
            f,
            "--no-resolve",
            "--in-type",
            "Socks5",
            "--in-name",
            "mixed",
            "--in-user",
            "alice",
            "a.test");
    assertThat(socks.out()).contains("rule:    AND,((IN-TYPE,socks),(IN-USER,alice))");
  }

  @Test
  void explainWithoutAnyMatchingRuleSaysSo() throws Exception {
    Path file = config("dns:\n  nameserver: [192.0.2.1]\nrules:\n  - DOMAIN,a.test,REJECT\n");
    Cli.Run run = run("explain", "-c", file.toString(), "--no-resolve", "b.test");
    assertThat(run.out()).contains("policy:  DIRECT").contains("(no rule matched)");
  }

  @Test
  void checkEndsWithASummaryOfWhatTurnoutWillUse() throws Exception {
    Path file =
        config(
            String.join(
                "\n",
                "mode: Rule",
                "mixed-port: 7890",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxies:",
                "  - {name: a, type: socks5, server: 192.0.2.9, port: 1080}",
                "  - {name: b, type: hysteria2, server: 192.0.2.9, port: 443, password: x}",
                "  - {name: c, type: tuic, server: 192.0.2.9, port: 443, uuid: x, password: y}",
                "  - {name: d, type: hysteria2, server: 192.0.2.9, port: 443, password: x}",
                "proxy-groups:",
                "  - {name: Proxy, type: select, proxies: [b, c, d, a]}",
                "rules:",
                "  - DOMAIN-SUFFIX,example.com,Proxy",
                "  - MATCH,DIRECT",
                ""));
    Cli.Run run = run("check", "-c", file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out().lines())
        .containsSubsequence(
            "proxies:         1 usable, 3 unsupported (hysteria2 2, tuic 1)",
            "groups:          1",
            "rules:           2 in the file, 0 in rule providers",
            "rule providers:  none",
            "proxy providers: none",
            "problems:        0 errors, 3 warnings",
            file + ": OK");
    assertThat(run.err())
        .doesNotContain("mixed-port") // a local listener now: read, not ignored
        .contains(file + ":7: warning: proxies: proxy \"b\": field \"type\": unavailable");
    Cli.Run explain = run("explain", "-c", file.toString(), "--no-resolve", "www.example.com");
    assertThat(explain.out()).contains("policy:  Proxy");
  }

  @Test
  void checkAndExplainNeitherDownloadNorWrite() throws Exception {
    try (java.net.ServerSocket listener =
        new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      java.util.concurrent.atomic.AtomicInteger connections =
          new java.util.concurrent.atomic.AtomicInteger();
      Thread recorder =
          new Thread(
              () -> {
                while (!listener.isClosed()) {
                  try (java.net.Socket s = listener.accept()) {
                    connections.incrementAndGet();
                  } catch (java.io.IOException e) {
                    return;
                  }
                }
              });
      recorder.setDaemon(true);
      recorder.start();
      String url = "http://127.0.0.1:" + listener.getLocalPort();
      Path state = dir.resolve("state");
      Path file =
          config(
              String.join(
                  "\n",
                  "state-dir: " + state,
                  "dns:",
                  "  nameserver: [192.0.2.1]",
                  "rule-providers:",
                  "  ads: {type: http, behavior: domain, url: '" + url + "/ads.list'}",
                  "proxy-providers:",
                  "  sub: {type: http, url: '" + url + "/sub', interval: 60}",
                  "proxy-groups:",
                  "  - {name: Proxy, type: select, use: [sub]}",
                  "rules:",
                  "  - RULE-SET,ads,REJECT",
                  "  - MATCH,Proxy",
                  ""));
      Cli.Run run = run("check", "-c", file.toString());
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.out())
          .contains("rule providers:  1 (0 read, 1 not checked: not downloaded yet: ads)")
          .contains("proxy providers: 1 (0 read, 1 not checked: not downloaded yet: sub)");
      assertThat(run.err())
          .contains(file + ":5: warning: provider ads: not checked")
          .contains(file + ":7: warning: proxy-providers: proxy-provider \"sub\": not checked");
      Cli.Run explain = run("explain", "-c", file.toString(), "--no-resolve", "x.ads.example");
      assertThat(explain.exit()).as(explain.err()).isZero();
      assertThat(explain.err()).contains("warning: provider ads");
      assertThat(explain.out()).contains("policy:  Proxy");
      assertThat(connections.get()).as("connections to the providers' server").isZero();
      assertThat(state).doesNotExist();
    }
  }

  @Test
  void checkReadsTheCopyARunningTurnoutKeptAndCountsWhatItServes() throws Exception {
    Path state = dir.resolve("state");
    Path copies = Files.createDirectories(state.resolve("proxy-providers"));
    String url = "https://sub.example/api/clash";
    Files.writeString(copies.resolve("sub.meta"), "url=" + url + "\nfetched=1\n");
    String links =
        String.join(
            "\n",
            "trojan://pw@192.0.2.1:443?sni=a.example#HK 01",
            "trojan://pw@192.0.2.2:443?sni=a.example#SG 01",
            "hysteria2://pw@192.0.2.3:443#HK hy2",
            "tuic://x:y@192.0.2.4:443#JP tuic",
            "");
    Files.writeString(
        copies.resolve("sub.body"),
        java.util.Base64.getEncoder().encodeToString(links.getBytes()) + "\n");
    Path file =
        config(
            String.join(
                "\n",
                "state-dir: " + state,
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxies:",
                "  - {name: home, type: socks5, server: 192.0.2.9, port: 1080}",
                "proxy-providers:",
                "  sub:",
                "    type: http",
                "    url: " + url,
                "    health-check: {enable: true, url: 'http://192.0.2.80/generate_204'}",
                "proxy-groups:",
                "  - {name: HK, type: url-test, use: [sub], filter: HK}",
                "  - {name: Proxy, type: select, proxies: [HK, home], use: [sub]}",
                "rules:",
                "  - MATCH,Proxy",
                ""));
    Cli.Run run = run("check", "-c", file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out().lines())
        .containsSubsequence(
            "proxies:         3 usable, 2 unsupported (hysteria2 1, tuic 1)",
            "groups:          2",
            "rules:           1 in the file, 0 in rule providers",
            "rule providers:  none",
            "proxy providers: 1 (1 read), 4 proxies",
            "problems:        0 errors, 2 warnings");
    assertThat(run.err())
        .contains("sub.body (decoded):3: warning: proxy-providers: proxy \"HK hy2\"");
  }

  @Test
  void aMissingFileIsAConfigError() {
    Cli.Run run = run("check", "-c", dir.resolve("absent.yaml").toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("absent.yaml: no such file");
  }

  @Test
  void theConfigFileComesFromTurnoutConfigWhenNoOptionNamesIt() throws Exception {
    // picocli reads ${TURNOUT_CONFIG} from a system property before the environment variable.
    Path file = config("dns:\n  nameserver: [192.0.2.1]\nrules:\n  - MATCH,DIRECT\n");
    System.setProperty("TURNOUT_CONFIG", file.toString());
    try {
      Cli.Run run = run("check");
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.out()).contains(file + ": OK");
      Cli.Run other = run("check", "-c", dir.resolve("absent.yaml").toString());
      assertThat(other.err()).as("-c wins").contains("absent.yaml: no such file");
    } finally {
      System.clearProperty("TURNOUT_CONFIG");
    }
  }

  @Test
  void withoutTurnoutConfigTheOptionIsRequired() {
    assumeTrue(System.getenv("TURNOUT_CONFIG") == null, "TURNOUT_CONFIG is set here");
    Cli.Run run = run("check");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("--config");
  }

  @Test
  void anUnknownLogLevelStopsRunBeforeAnythingStarts() throws Exception {
    Path file = config("dns:\n  nameserver: [192.0.2.1]\nrules:\n  - MATCH,DIRECT\n");
    Cli.Run run = run("run", "-c", file.toString(), "--log-level", "loud");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("--log-level: loud is not silent|error|warning|info|debug");
  }

  @Test
  void helpListsTheCommands() {
    Cli.Run run = run("--help");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("run").contains("check").contains("explain");
  }
}
