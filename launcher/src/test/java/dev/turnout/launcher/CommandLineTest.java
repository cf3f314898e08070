package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The CLI as people script against it: exit codes and what check/explain print. */
class CommandLineTest {
  @TempDir Path dir;

  private record Run(int exit, String out, String err) {}

  private Run run(String... args) {
    CommandLine cli = Main.commandLine();
    StringWriter out = new StringWriter();
    cli.setOut(new PrintWriter(out));
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream saved = System.err;
    System.setErr(new PrintStream(err, true));
    try {
      int exit = cli.execute(args);
      return new Run(exit, out.toString(), err.toString());
    } finally {
      System.setErr(saved);
    }
  }

  private Path config(String yaml) throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, yaml);
    return file;
  }

  @Test
  void checkAcceptsTheExampleConfig() {
    Run run = run("check", "-c", "../config.yaml.example");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("OK");
  }

  @Test
  void checkAcceptsEveryProxyTypeAndTransportOfASubscription() {
    Run run = run("check", "-c", "src/test/resources/subscription.yaml");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("OK");
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
        config(
            String.join(
                "\n",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "rules:",
                "  - DOMAIN-SUFFIX,example.com,Nowhere",
                "  - IP-CIDR,300.0.0.0/8,DIRECT",
                "  - MATCH,DIRECT",
                ""));
    Run run = run("check", "-c", file.toString());
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
        config(
            String.join(
                "\n",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxies:",
                "  - {name: ok, type: socks5, server: 192.0.2.9, port: 1080}",
                "  - name: hk1",
                "    type: ss",
                "    server: 192.0.2.10",
                "    port: 8388",
                "    cipher: rc4-md5",
                "    password: x",
                "proxy-groups:",
                "  - {name: Proxy, type: select, proxies: [ok, missing]}",
                "rules:",
                "  - MATCH,Proxy",
                ""));
    Run run = run("check", "-c", file.toString());
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
                "    cipher: rc4-md5", // 12: a proxy field
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
    Run run = run("check", "-c", file.toString());
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
                + " fake-ip-ttl, fallback, fallback-filter, ipv6, listen, nameserver,"
                + " nameserver-policy, prefer-h3, proxy-server-nameserver,"
                + " proxy-server-nameserver-policy, respect-rules, system-resolver, use-hosts,"
                + " use-system-hosts",
            file + ":6: tun.mtu: expected an integer from 576 to 65535, got \"70000\"",
            file
                + ":12: proxies: proxy \"hk1\": field \"cipher\": expected one of aes-128-gcm,"
                + " aes-192-gcm, aes-256-gcm, chacha20-ietf-poly1305, xchacha20-ietf-poly1305,"
                + " got \"rc4-md5\"",
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
        config(
            String.join(
                "\n",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxies:",
                "  - {name: ok, type: socks5, server: 192.0.2.9, port: 1080, colour: blue}",
                "rules:",
                "  - MATCH,ok",
                ""));
    Run run = run("check", "-c", file.toString());
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.err()).contains(file + ":4: warning: proxies: ").contains("0 errors, 1 warning");
    assertThat(run.out()).contains("OK");
  }

  @Test
  void rulesMayNameProxiesAndGroups() throws Exception {
    Path file =
        config(
            String.join(
                "\n",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxies:",
                "  - {name: ok, type: socks5, server: 192.0.2.9, port: 1080}",
                "proxy-groups:",
                "  - {name: Proxy, type: select, proxies: [ok, DIRECT]}",
                "rules:",
                "  - DOMAIN-SUFFIX,example.com,Proxy",
                "  - DOMAIN-SUFFIX,example.org,ok",
                "  - MATCH,GLOBAL",
                ""));
    Run run = run("explain", "-c", file.toString(), "--no-resolve", "www.example.com");
    assertThat(run.exit()).as(run.err()).isZero();
    assertThat(run.out()).contains("policy:  Proxy");
  }

  @Test
  void explainNamesRuleSourceAndPolicy() throws Exception {
    Path file =
        config(
            String.join(
                "\n",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "rules:",
                "  - DOMAIN-SUFFIX,example.com,REJECT",
                "  - IP-CIDR,10.0.0.0/8,DIRECT,no-resolve",
                "  - DST-PORT,22,REJECT",
                "  - MATCH,DIRECT",
                ""));
    Run byName = run("explain", "-c", file.toString(), "www.Example.com.");
    assertThat(byName.exit()).isZero();
    assertThat(byName.out())
        .contains("policy:  REJECT")
        .contains("rule:    DOMAIN-SUFFIX,example.com")
        .contains("source:  " + file + ":4");
    Run byIp = run("explain", "-c", file.toString(), "10.1.2.3:22");
    assertThat(byIp.out()).contains("policy:  DIRECT").contains(file + ":5");
    Run byPort = run("explain", "-c", file.toString(), "--no-resolve", "other.org:22");
    assertThat(byPort.out()).contains("policy:  REJECT").contains("rule:    DST-PORT,22");
  }

  @Test
  void explainWithoutAnyMatchingRuleSaysSo() throws Exception {
    Path file = config("dns:\n  nameserver: [192.0.2.1]\nrules:\n  - DOMAIN,a.test,REJECT\n");
    Run run = run("explain", "-c", file.toString(), "--no-resolve", "b.test");
    assertThat(run.out()).contains("policy:  DIRECT").contains("(no rule matched)");
  }

  @Test
  void aMissingFileIsAConfigError() {
    Run run = run("check", "-c", dir.resolve("absent.yaml").toString());
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("absent.yaml: no such file");
  }

  @Test
  void theConfigFileComesFromTurnoutConfigWhenNoOptionNamesIt() throws Exception {
    // picocli reads ${TURNOUT_CONFIG} from a system property before the environment variable.
    Path file = config("dns:\n  nameserver: [192.0.2.1]\nrules:\n  - MATCH,DIRECT\n");
    System.setProperty("TURNOUT_CONFIG", file.toString());
    try {
      Run run = run("check");
      assertThat(run.exit()).as(run.err()).isZero();
      assertThat(run.out()).contains(file + ": OK");
      Run other = run("check", "-c", dir.resolve("absent.yaml").toString());
      assertThat(other.err()).as("-c wins").contains("absent.yaml: no such file");
    } finally {
      System.clearProperty("TURNOUT_CONFIG");
    }
  }

  @Test
  void withoutTurnoutConfigTheOptionIsRequired() {
    assumeTrue(System.getenv("TURNOUT_CONFIG") == null, "TURNOUT_CONFIG is set here");
    Run run = run("check");
    assertThat(run.exit()).isEqualTo(2);
    assertThat(run.err()).contains("--config");
  }

  @Test
  void anUnknownLogLevelStopsRunBeforeAnythingStarts() throws Exception {
    Path file = config("dns:\n  nameserver: [192.0.2.1]\nrules:\n  - MATCH,DIRECT\n");
    Run run = run("run", "-c", file.toString(), "--log-level", "loud");
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.err()).contains("--log-level: loud is not silent|error|warning|info|debug");
  }

  @Test
  void helpListsTheCommands() {
    Run run = run("--help");
    assertThat(run.exit()).isZero();
    assertThat(run.out()).contains("run").contains("check").contains("explain");
  }
}
