package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.UdpEcho;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Browsers and apps configured to use a proxy: curl and a SOCKS5 UDP client in the client namespace
 * use Turnout's mixed port and a listener with users, and their connections take the same rules as
 * captured traffic — names under bulk.example.test through a real dante in the internet namespace
 * (its log shows them), the rest DIRECT to nginx. A LAN host tries the port with allow-lan off, on,
 * and on with lan-disallowed-ips naming it.
 */
class InboundIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String LAN_CLIENT = "198.51.100.66";
  private static final String CLIENT_ON_LAN = "198.51.100.65";
  private static Sandbox sandbox;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    sandbox.startServer("socks");
    sandbox.startServer("lan");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  private static TurnoutProcess turnout(String inbound) throws Exception {
    return sandbox.startTurnout(
        Sandbox.config("", "  - DOMAIN-SUFFIX,bulk.example.test,Proxy\n  - MATCH,DIRECT")
            + "state-dir: "
            + sandbox.file("state")
            + "\nproxies:\n"
            + "  - {name: dante, type: socks5, server: 203.0.113.1, port: 1080, udp: true}\n"
            + "proxy-groups:\n"
            + "  - {name: Proxy, type: select, proxies: [dante, DIRECT]}\n"
            + inbound);
  }

  private static final String LOCAL =
      "mixed-port: 7890\n"
          + "listeners:\n"
          + "  - {name: private-in, type: mixed, port: 7891,"
          + " users: [{username: alice, password: secret}]}\n";

  @Test
  void socksAndHttpClientsAreRoutedByTheRules() throws Exception {
    TurnoutProcess turnout = turnout(LOCAL);
    try {
      long danteBefore = danteConnects();
      String page = "http://www.example.test/index.html";
      assertThat(ok(curl("--socks5-hostname", "127.0.0.1:7890", page))).isEqualTo("ok\n");
      // curl resolves the name itself, through Turnout's DNS: the fake IP stands for the name.
      assertThat(ok(curl("--socks5", "127.0.0.1:7890", page))).isEqualTo("ok\n");
      assertThat(ok(curl("-x", "http://127.0.0.1:7890", page))).isEqualTo("ok\n");
      assertThat(ok(curl("-p", "-x", "http://127.0.0.1:7890", page))).isEqualTo("ok\n");
      assertThat(danteConnects()).as("DIRECT never reaches dante").isEqualTo(danteBefore);
      turnout.awaitLog("(DEFAULT-MIXED HTTPS)", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "tcp 127\\.0\\.0\\.1:\\d+ -> www\\.example\\.test:80 \\(DEFAULT-MIXED Socks5\\) rule MATCH")
          .containsPattern(
              "-> www\\.example\\.test:80 \\(DEFAULT-MIXED HTTP\\) rule MATCH .*via DIRECT")
          .containsPattern(
              "-> www\\.example\\.test:80 \\(DEFAULT-MIXED HTTPS\\) rule MATCH .*via DIRECT");
      assertThat(occurrences(turnout.log(), "-> www.example.test:80 (DEFAULT-MIXED Socks5)"))
          .as("by name and by fake IP")
          .isEqualTo(2);

      assertDownloadIntact("--socks5-hostname", "127.0.0.1:7890");
      assertDownloadIntact("-x", "http://127.0.0.1:7890");
      assertDownloadIntact("-p", "-x", "http://127.0.0.1:7890");
      assertThat(danteConnects())
          .as("bulk.example.test goes through dante, by rule")
          .isEqualTo(danteBefore + 3);
      assertThat(turnout.log())
          .containsPattern(
              "-> bulk\\.example\\.test:80 \\(DEFAULT-MIXED Socks5\\) rule DOMAIN-SUFFIX,bulk\\.example\\.test .*via Proxy");
    } finally {
      turnout.terminate(T);
    }
  }

  /**
   * mihomo's tunnels: a local port forwarded to a name, by the rules (MATCH: DIRECT) or through the
   * tunnel's own proxy (dante, whose log counts it); one through a proxy that does not exist stays
   * closed, and Turnout starts anyway.
   */
  @Test
  void tunnelsForwardALocalPortByTheRulesOrThroughTheirProxy() throws Exception {
    TurnoutProcess turnout =
        turnout(
            "tunnels:\n"
                + "  - tcp,127.0.0.1:7900,www.example.test:80\n"
                + "  - network: [tcp]\n"
                + "    address: 127.0.0.1:7901\n"
                + "    target: www.example.test:80\n"
                + "    proxy: dante\n"
                + "  - tcp,127.0.0.1:7902,www.example.test:80,nowhere\n");
    try {
      long danteBefore = danteConnects();
      String host = "Host: www.example.test";
      assertThat(ok(curl("-H", host, "http://127.0.0.1:7900/index.html"))).isEqualTo("ok\n");
      assertThat(danteConnects()).as("by the rules: DIRECT").isEqualTo(danteBefore);
      assertThat(ok(curl("-H", host, "http://127.0.0.1:7901/index.html"))).isEqualTo("ok\n");
      assertThat(danteConnects()).as("the tunnel's proxy").isEqualTo(danteBefore + 1);
      Outcome closed = curl("-H", host, "http://127.0.0.1:7902/index.html");
      assertThat(closed.exit())
          .as("a tunnel through no proxy is not opened: %s", closed)
          .isEqualTo(7);
      assertThat(turnout.log())
          .contains(
              "DEFAULT-TUNNEL (tunnel) on 127.0.0.1:7902: no proxy or group named nowhere; the"
                  + " tunnel is not opened");
      turnout.awaitLog("via dante", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "-> www\\.example\\.test:80 \\(DEFAULT-TUNNEL Tunnel\\) rule MATCH .*via DIRECT")
          .containsPattern("-> www\\.example\\.test:80 \\(DEFAULT-TUNNEL Tunnel\\) .*via dante");
    } finally {
      turnout.terminate(T);
    }
  }

  @Test
  void listenerUsersAreCheckedOnBothProtocols() throws Exception {
    TurnoutProcess turnout = turnout(LOCAL);
    try {
      String page = "http://www.example.test/index.html";
      assertThat(ok(curl("-U", "alice:secret", "-x", "http://127.0.0.1:7891", page)))
          .isEqualTo("ok\n");
      assertThat(ok(curl("--socks5-hostname", "alice:secret@127.0.0.1:7891", page)))
          .isEqualTo("ok\n");
      assertThat(httpCode("-U", "alice:wrong", "-x", "http://127.0.0.1:7891", page))
          .isEqualTo("407");
      assertThat(httpCode("-x", "http://127.0.0.1:7891", page)).isEqualTo("407");
      Outcome wrongSocks = curl("--socks5-hostname", "alice:wrong@127.0.0.1:7891", page);
      assertThat(wrongSocks.exit()).as("%s", wrongSocks).isNotZero();
      assertThat(wrongSocks.stdout()).isEmpty();
      // Bad credentials are logged at most once per 10 s (and counted): the first one shows.
      assertThat(turnout.log()).contains("private-in: HTTP client").contains("wrong credentials");
    } finally {
      turnout.terminate(T);
    }
  }

  @Test
  void socks5UdpEchoesDirectAndThroughDanteByRule() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    TurnoutProcess turnout = turnout(LOCAL);
    try {
      Outcome result =
          inClient(
              "python3",
              "-c",
              SocksUdpClient.SCRIPT,
              "127.0.0.1",
              "7890",
              "200+9000", // every 50th 9,000 bytes long: longer than a read buffer's default
              "www.example.test:7",
              "bulk.example.test:7");
      assertThat(result.exit()).as("%s", result).isZero();
      assertThat(result.stdout())
          .contains("www.example.test:7 echoed 200 bad 0")
          .contains("bulk.example.test:7 echoed 200 bad 0");
      assertThat(Files.readString(sandbox.file("danted.log"))).contains("udpassociate");
      turnout.awaitLog("udp 127.0.0.1", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "udp 127\\.0\\.0\\.1:\\d+ -> www\\.example\\.test:7 \\(DEFAULT-MIXED Socks5\\) rule MATCH .*via DIRECT")
          .containsPattern(
              "udp 127\\.0\\.0\\.1:\\d+ -> bulk\\.example\\.test:7 \\(DEFAULT-MIXED Socks5\\) rule DOMAIN-SUFFIX.*via Proxy");
    } finally {
      turnout.terminate(T);
      echo.destroyForcibly().waitFor();
    }
  }

  @Test
  void allowLanOpensThePortToTheLanAndItsListsCloseItAgain() throws Exception {
    String page = "http://www.example.test/index.html";
    String lanProxy = CLIENT_ON_LAN + ":7890";

    TurnoutProcess loopbackOnly = turnout("mixed-port: 7890\n");
    try {
      Outcome refused = lanCurl(lanProxy, page);
      assertThat(refused.exit()).as("bound to 127.0.0.1: %s", refused).isEqualTo(7);
    } finally {
      loopbackOnly.terminate(T);
    }

    TurnoutProcess open = turnout("allow-lan: true\nmixed-port: 7890\n");
    try {
      assertThat(ok(lanCurl(lanProxy, page))).isEqualTo("ok\n");
      assertThat(open.log())
          .contains(
              "SECURITY: DEFAULT-MIXED (mixed) on 0.0.0.0:7890 accept connections from other"
                  + " hosts WITHOUT AUTHENTICATION")
          .containsPattern(
              "tcp 198\\.51\\.100\\.66:\\d+ -> www\\.example\\.test:80 \\(DEFAULT-MIXED Socks5\\)");
    } finally {
      open.terminate(T);
    }

    TurnoutProcess listed =
        turnout("allow-lan: true\nmixed-port: 7890\nlan-disallowed-ips: [" + LAN_CLIENT + "/32]\n");
    try {
      Outcome refused = lanCurl(lanProxy, page);
      assertThat(refused.exit()).as("%s", refused).isNotZero();
      assertThat(refused.stdout()).isEmpty();
      listed.awaitLog("refused /" + LAN_CLIENT, Duration.ofSeconds(5));
      assertThat(ok(curl("--socks5-hostname", "127.0.0.1:7890", page)))
          .as("this host is not the LAN")
          .isEqualTo("ok\n");
    } finally {
      listed.terminate(T);
    }
  }

  /** What a command run in a namespace did: its exit status, output, and all of it for messages. */
  private record Outcome(int exit, String stdout, String all) {
    @Override
    public String toString() {
      return all;
    }
  }

  private static Outcome inClient(String... command) throws Exception {
    var result = sandbox.inClient(T, command);
    return new Outcome(result.exit(), result.stdout(), result.toString());
  }

  /** Runs {@code command} on the LAN host. */
  private static Outcome inLan(String... command) throws Exception {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", sandbox.name + "-l"));
    full.addAll(List.of(command));
    var result = Sandbox.run(T, full.toArray(String[]::new));
    return new Outcome(result.exit(), result.stdout(), result.toString());
  }

  private static Outcome lanCurl(String proxy, String url) throws Exception {
    return inLan("curl", "-sS", "--fail", "--max-time", "10", "--socks5-hostname", proxy, url);
  }

  private static Outcome curl(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("curl", "-sS", "--fail", "--max-time", "20"));
    command.addAll(List.of(args));
    return inClient(command.toArray(String[]::new));
  }

  /** The status code curl got (no --fail), e.g. {@code 407}. */
  private static String httpCode(String... args) throws Exception {
    List<String> command =
        new ArrayList<>(List.of("curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"));
    command.addAll(List.of(args));
    return inClient(command.toArray(String[]::new)).stdout();
  }

  private static String ok(Outcome result) {
    assertThat(result.exit()).as("%s", result).isZero();
    return result.stdout();
  }

  /** Downloads bulk.example.test's 10 MiB through the proxy options and compares it to nginx's. */
  private static void assertDownloadIntact(String... proxy) throws Exception {
    Path out = Files.createTempFile(sandbox.file(""), "dl", ".bin");
    List<String> args = new ArrayList<>(List.of(proxy));
    args.addAll(List.of("-o", out.toString(), "http://bulk.example.test/10m.bin"));
    ok(curl(args.toArray(String[]::new)));
    assertThat(Sandbox.sha256(out))
        .as("10 MiB through %s", String.join(" ", proxy))
        .isEqualTo(Sandbox.sha256(sandbox.file("www/10m.bin")));
  }

  private static long danteConnects() throws Exception {
    return Files.readString(sandbox.file("danted.log"))
        .lines()
        .filter(l -> l.contains("pass(1): tcp/connect"))
        .count();
  }

  private static int occurrences(String text, String part) {
    int n = 0;
    for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + 1)) {
      n++;
    }
    return n;
  }
}
