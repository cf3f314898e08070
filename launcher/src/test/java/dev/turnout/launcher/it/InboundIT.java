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
import java.util.regex.Pattern;
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
   * closed, and Turnout starts anyway. UDP tunnels carry datagrams to the echo server and back, by
   * the rules and through dante (SOCKS5 UDP).
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
                + "  - tcp,127.0.0.1:7902,www.example.test:80,nowhere\n"
                + "  - udp,127.0.0.1:7903,www.example.test:7\n"
                + "  - udp,127.0.0.1:7904,www.example.test:7,dante\n");
    Process echo = UdpEcho.startServer(sandbox);
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

      for (String port : List.of("7903", "7904")) {
        Outcome udp = inClient("python3", "-c", UDP_ECHO_CLIENT, "127.0.0.1", port, "20");
        assertThat(ok(udp)).isEqualTo("echoed 20 from 127.0.0.1:" + port + "\n");
      }
      turnout.awaitLog(
          Pattern.compile(
              "udp 127\\.0\\.0\\.1:\\d+ -> www\\.example\\.test:7 \\(DEFAULT-TUNNEL Tunnel\\) rule MATCH .*via DIRECT"),
          Duration.ofSeconds(5));
      turnout.awaitLog(
          Pattern.compile(
              "udp 127\\.0\\.0\\.1:\\d+ -> www\\.example\\.test:7 \\(DEFAULT-TUNNEL Tunnel\\) .*via dante"),
          Duration.ofSeconds(5));
    } finally {
      turnout.terminate(T);
      echo.destroyForcibly().waitFor();
    }
  }

  /**
   * redir-port: nftables in the client namespace REDIRECTs this host's connections to fake IPs and
   * to nginx (OUTPUT, Turnout's own marked connections excepted) and the LAN host's (PREROUTING) to
   * the port; each goes where it was going, by the rules (bulk.example.test through dante). A
   * connection made to the port itself is reset.
   */
  @Test
  void redirPortTakesWhatTheFirewallRedirects() throws Exception {
    Path rules = sandbox.file("redir.nft");
    Files.writeString(
        rules,
        String.join(
            "\n",
            "table ip turnout_it {",
            "  chain out {",
            "    type nat hook output priority -100;",
            "    meta mark 0x2022 return",
            "    ip daddr { 198.18.0.0/15, 203.0.113.10 } tcp dport 80 redirect to :7892",
            "  }",
            "  chain pre {",
            "    type nat hook prerouting priority -100;",
            "    ip saddr " + LAN_CLIENT + " tcp dport 80 redirect to :7892",
            "  }",
            "}",
            "table ip6 turnout_it {",
            "  chain out {",
            "    type nat hook output priority -100;",
            "    meta mark 0x2022 return",
            "    ip6 daddr 2001:db8:113::10 tcp dport 80 redirect to :7896",
            "  }",
            "}",
            ""));
    TurnoutProcess turnout =
        turnout(
            "routing-mark: 0x2022\nallow-lan: true\nredir-port: 7892\n"
                + "listeners:\n  - {name: redir6, type: redir, port: 7896, listen: \"::\"}\n");
    try {
      ok(inClient("nft", "-f", rules.toString()));
      long danteBefore = danteConnects();
      assertThat(ok(curl("http://www.example.test/index.html"))).isEqualTo("ok\n");
      assertThat(ok(curl("http://bulk.example.test/index.html"))).isEqualTo("ok\n");
      assertThat(danteConnects()).as("bulk.example.test via dante").isEqualTo(danteBefore + 1);
      assertThat(ok(curl("http://203.0.113.10/index.html"))).isEqualTo("ok\n");
      assertThat(ok(curl("-g", "http://[2001:db8:113::10]/index.html"))).isEqualTo("ok\n");
      assertThat(ok(lanFetch("http://203.0.113.10/index.html"))).isEqualTo("ok\n");
      Outcome itself = curl("http://127.0.0.1:7892/index.html");
      assertThat(itself.exit()).as("not redirected: %s", itself).isNotZero();
      turnout.awaitLog("connected to the listener itself", Duration.ofSeconds(5));
      turnout.awaitLog("(DEFAULT-REDIR Redir) rule DOMAIN-SUFFIX", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "tcp \\S+ -> www\\.example\\.test:80 \\(DEFAULT-REDIR Redir\\) rule MATCH .*via DIRECT")
          .containsPattern(
              "tcp \\S+ -> bulk\\.example\\.test:80 \\(DEFAULT-REDIR Redir\\) rule DOMAIN-SUFFIX.*via Proxy")
          .containsPattern(
              "tcp 198\\.51\\.100\\.66:\\d+ -> 203\\.0\\.113\\.10:80 \\(DEFAULT-REDIR Redir\\)")
          .containsPattern("-> \\[?2001:db8:113::10]?:80 \\(redir6 Redir\\)")
          .doesNotContain("SECURITY");
    } finally {
      turnout.terminate(T);
      inClient("nft", "delete", "table", "ip", "turnout_it");
      inClient("nft", "delete", "table", "ip6", "turnout_it");
    }
  }

  /**
   * tproxy-port: nftables TPROXY in the client namespace turns the LAN host's TCP and UDP to the
   * internet to the port, over IPv4 and IPv6; curl gets nginx's page, and every UDP datagram to the
   * echo servers comes back from the echo server's own address.
   */
  @Test
  void tproxyPortCarriesTheLansTcpAndUdp() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    Process echo6 = UdpEcho.startServer(sandbox, "2001:db8:113::10");
    Path rules = sandbox.file("tproxy.nft");
    Files.writeString(
        rules,
        String.join(
            "\n",
            "table ip turnout_it {",
            "  chain pre {",
            "    type filter hook prerouting priority mangle;",
            "    ip saddr "
                + LAN_CLIENT
                + " ip daddr 203.0.113.0/24 meta l4proto { tcp, udp }"
                + " tproxy to :7893 meta mark set 0x1 accept",
            "  }",
            "}",
            "table ip6 turnout_it {",
            "  chain pre {",
            "    type filter hook prerouting priority mangle;",
            "    ip6 saddr 2001:db8:66::66 ip6 daddr 2001:db8:113::/64 meta l4proto { tcp, udp }"
                + " tproxy to :7893 meta mark set 0x1 accept",
            "  }",
            "}",
            ""));
    TurnoutProcess turnout = turnout("allow-lan: true\ntproxy-port: 7893\n");
    try {
      ok(inClient("nft", "-f", rules.toString()));
      for (String family : List.of("-4", "-6")) {
        ok(inClient("ip", family, "rule", "add", "fwmark", "0x1", "lookup", "100"));
        ok(
            inClient(
                "ip",
                family,
                "route",
                "add",
                "local",
                family.equals("-4") ? "0.0.0.0/0" : "::/0",
                "dev",
                "lo",
                "table",
                "100"));
      }
      assertThat(ok(lanFetch("http://203.0.113.10/index.html"))).isEqualTo("ok\n");
      assertThat(ok(lanFetch("http://[2001:db8:113::10]/index.html"))).isEqualTo("ok\n");
      Outcome udp = inLan("python3", "-c", UDP_ECHO_CLIENT, "203.0.113.10", "7", "20");
      assertThat(ok(udp)).isEqualTo("echoed 20 from 203.0.113.10:7\n");
      Outcome udp6 = inLan("python3", "-c", UDP_ECHO_CLIENT, "2001:db8:113::10", "7", "20");
      assertThat(ok(udp6)).isEqualTo("echoed 20 from 2001:db8:113::10:7\n");
      turnout.awaitLog("udp [2001:db8:66::66]", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "tcp 198\\.51\\.100\\.66:\\d+ -> 203\\.0\\.113\\.10:80 \\(DEFAULT-TPROXY TProxy\\) rule MATCH .*via DIRECT")
          .containsPattern(
              "udp 198\\.51\\.100\\.66:\\d+ -> 203\\.0\\.113\\.10:7 \\(DEFAULT-TPROXY TProxy\\) rule MATCH .*via DIRECT")
          .containsPattern(
              "udp \\[2001:db8:66::66\\]:\\d+ -> \\[2001:db8:113::10\\]:7 \\(DEFAULT-TPROXY TProxy\\) rule MATCH .*via DIRECT");
      Outcome itself = curl("http://127.0.0.1:7893/index.html");
      assertThat(itself.exit()).as("not turned by TPROXY: %s", itself).isNotZero();
    } finally {
      turnout.terminate(T);
      echo.destroyForcibly().waitFor();
      echo6.destroyForcibly().waitFor();
      inClient("nft", "delete", "table", "ip", "turnout_it");
      inClient("nft", "delete", "table", "ip6", "turnout_it");
      for (String family : List.of("-4", "-6")) {
        inClient("ip", family, "rule", "del", "fwmark", "0x1", "lookup", "100");
        inClient("ip", family, "route", "flush", "table", "100");
      }
    }
  }

  /**
   * Sends COUNT datagrams to HOST PORT, each until its echo comes back (3 tries, 2 s each), and
   * prints how many came back unchanged and from where.
   */
  private static final String UDP_ECHO_CLIENT =
      String.join(
          "\n",
          "import socket, sys",
          "host, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])",
          "s = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET, socket.SOCK_DGRAM)",
          "s.settimeout(2)",
          "echoed, sources = 0, set()",
          "for i in range(count):",
          "    m = b'tproxy %d' % i",
          "    for attempt in range(3):",
          "        s.sendto(m, (host, port))",
          "        try:",
          "            d, a = s.recvfrom(65535)",
          "        except socket.timeout:",
          "            continue",
          "        if d == m:",
          "            echoed += 1",
          "            sources.add('%s:%d' % a[:2])",
          "            break",
          "print('echoed %d from %s' % (echoed, ','.join(sorted(sources))))",
          "");

  /**
   * listeners: of type shadowsocks, with Debian's ss-local (shadowsocks-libev) in the client as
   * Turnout's client: what curl asks ss-local for goes through the rules (bulk.example.test through
   * dante), 10 MiB arrive intact both ways through the codec, and an ss-local with another password
   * gets nothing while its failure is logged.
   */
  @Test
  void aShadowsocksListenerServesShadowsocksClients() throws Exception {
    TurnoutProcess turnout =
        turnout(
            "listeners:\n  - {name: ss-in, type: shadowsocks, port: 7920, cipher: aes-256-gcm,"
                + " password: secret}\n"
                + "ss-config: ss://aes-256-gcm:other@:7921\n");
    Process good = ssLocal("ss-local-good", 1090, "secret");
    Process wrong = ssLocal("ss-local-wrong", 1091, "not-the-password");
    Process top = ssLocal("ss-local-top", 1092, "other", 7921);
    try {
      awaitListening(1090);
      awaitListening(1091);
      awaitListening(1092);
      assertThat(
              ok(curl("--socks5-hostname", "127.0.0.1:1092", "http://www.example.test/index.html")))
          .as("ss-config's listener")
          .isEqualTo("ok\n");
      long danteBefore = danteConnects();
      String page = "http://www.example.test/index.html";
      assertThat(ok(curl("--socks5-hostname", "127.0.0.1:1090", page))).isEqualTo("ok\n");
      assertDownloadIntact("--socks5-hostname", "127.0.0.1:1090");
      assertThat(danteConnects()).as("bulk.example.test via dante").isEqualTo(danteBefore + 1);
      Outcome refused = curl("--socks5-hostname", "127.0.0.1:1091", page);
      assertThat(refused.exit()).as("another password: %s", refused).isNotZero();
      turnout.awaitLog("failed authentication", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "-> www\\.example\\.test:80 \\(ss-in Shadowsocks\\) rule MATCH .*via DIRECT")
          .containsPattern(
              "-> bulk\\.example\\.test:80 \\(ss-in Shadowsocks\\) rule DOMAIN-SUFFIX.*via Proxy")
          .contains("ss-in: Shadowsocks client")
          .containsPattern("-> www\\.example\\.test:80 \\(DEFAULT-SHADOWSOCKS Shadowsocks\\)");
    } finally {
      turnout.terminate(T);
      good.destroyForcibly().waitFor();
      wrong.destroyForcibly().waitFor();
      top.destroyForcibly().waitFor();
    }
  }

  /**
   * The shadowsocks listener's UDP (udp: true), with Debian's ss-local relaying a SOCKS5 client's
   * datagrams as Shadowsocks UDP packets: echoes come back from the echo server DIRECT and through
   * dante by rule, and the log shows both flows as the listener's.
   */
  @Test
  void aShadowsocksListenerCarriesUdp() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    TurnoutProcess turnout =
        turnout(
            "listeners:\n  - {name: ss-in, type: shadowsocks, port: 7920, cipher: aes-256-gcm,"
                + " password: secret, udp: true}\n");
    // ss-local drops datagrams longer than its MTU allows (1,397 bytes by default)
    Process local = ssLocal("ss-local-udp", 1093, "secret", 7920, "-u", "--mtu", "9200");
    try {
      awaitListening(1093);
      udpEchoesDirectAndThroughDante(turnout, 1093, "ss-in Shadowsocks");
    } finally {
      turnout.terminate(T);
      local.destroyForcibly().waitFor();
      echo.destroyForcibly().waitFor();
    }
  }

  private static Process ssLocal(String name, int port, String password) throws Exception {
    return ssLocal(name, port, password, 7920);
  }

  private static Process ssLocal(String name, int port, String password, int server, String... more)
      throws Exception {
    List<String> command =
        new ArrayList<>(
            List.of(
                "ss-local",
                "-s",
                "127.0.0.1",
                "-p",
                Integer.toString(server),
                "-b",
                "127.0.0.1",
                "-l",
                Integer.toString(port),
                "-k",
                password,
                "-m",
                "aes-256-gcm"));
    command.addAll(List.of(more));
    return sandbox.inClientBackground(name, command.toArray(String[]::new));
  }

  /** Waits (at most 10 s) until something in the client listens on TCP {@code port}. */
  private static void awaitListening(int port) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!inClient("ss", "-Htln", "sport = :" + port).stdout().contains(":" + port)) {
      assertThat(System.nanoTime()).as("port %d listening within 10 s", port).isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  /**
   * A mixed listener with certificate and private-key is an HTTPS proxy: curl speaks HTTP (plain
   * requests and CONNECT) inside TLS to it, 10 MiB arrive intact both ways (the relay keeps TLS in
   * the pipeline instead of splicing around it), and a client speaking plain HTTP to it gets
   * nothing.
   */
  @Test
  void aListenerWithACertificateServesItsClientsInsideTls() throws Exception {
    TurnoutProcess turnout =
        turnout(
            "listeners:\n  - {name: tls-in, type: mixed, port: 7897, "
                + certificateAndKey("listener-tls")
                + "}\n");
    try {
      String page = "http://www.example.test/index.html";
      String proxy = "https://127.0.0.1:7897";
      assertThat(ok(curl("--proxy-insecure", "-x", proxy, page))).isEqualTo("ok\n");
      assertThat(ok(curl("--proxy-insecure", "-p", "-x", proxy, page))).isEqualTo("ok\n");
      assertDownloadIntact("--proxy-insecure", "-x", proxy);
      assertDownloadIntact("--proxy-insecure", "-p", "-x", proxy);
      Outcome plain = curl("-x", "http://127.0.0.1:7897", page);
      assertThat(plain.exit()).as("plain HTTP to a TLS listener: %s", plain).isNotZero();
      assertThat(turnout.log())
          .contains("inbound: tls-in (mixed) on 127.0.0.1:7897, tcp and udp, TLS")
          .containsPattern("-> www\\.example\\.test:80 \\(tls-in HTTP\\) rule MATCH .*via DIRECT");
    } finally {
      turnout.terminate(T);
    }
  }

  /**
   * listeners: of type trojan, with Debian's trojan (trojan-gfw) as a client in the client
   * namespace: what curl asks it for goes through the rules as the user its password names, 10 MiB
   * arrive intact, a SOCKS5 client's datagrams ride its UDP ASSOCIATE to the echo server (DIRECT
   * and through dante), and a client with another password gets nothing while its refusal is
   * logged.
   */
  @Test
  void aTrojanListenerServesTrojanClients() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    TurnoutProcess turnout =
        turnout(
            "listeners:\n  - {name: tj-in, type: trojan, port: 7931,"
                + " users: [{username: alice, password: tj-pass}], "
                + certificateAndKey("trojan-tls")
                + "}\n");
    Process good = trojanClient("trojan-good", 1094, "tj-pass");
    Process wrong = trojanClient("trojan-wrong", 1095, "not-the-password");
    try {
      awaitListening(1094);
      awaitListening(1095);
      String page = "http://www.example.test/index.html";
      long danteBefore = danteConnects();
      assertThat(ok(curl("--socks5-hostname", "127.0.0.1:1094", page))).isEqualTo("ok\n");
      assertDownloadIntact("--socks5-hostname", "127.0.0.1:1094");
      assertThat(danteConnects()).as("bulk.example.test via dante").isEqualTo(danteBefore + 1);
      // trojan-gfw's client relays datagrams of up to 8 KiB
      udpEchoesDirectAndThroughDante(turnout, 1094, "tj-in Trojan", 4000);
      Outcome refused = curl("--socks5-hostname", "127.0.0.1:1095", page);
      assertThat(refused.exit()).as("another password: %s", refused).isNotZero();
      turnout.awaitLog("a password no user has", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .contains("inbound: tj-in (trojan) on 127.0.0.1:7931, tcp, TLS, 1 users")
          .containsPattern("-> www\\.example\\.test:80 \\(tj-in Trojan\\) rule MATCH .*via DIRECT")
          .containsPattern(
              "-> bulk\\.example\\.test:80 \\(tj-in Trojan\\) rule DOMAIN-SUFFIX.*via Proxy")
          .contains("tj-in: Trojan client");
    } finally {
      turnout.terminate(T);
      good.destroyForcibly().waitFor();
      wrong.destroyForcibly().waitFor();
      echo.destroyForcibly().waitFor();
    }
  }

  /**
   * listeners: of type vless, in TLS and plain, with Debian's v2ray as the client in the client
   * namespace (a SOCKS5 server in front of its VLESS outbound): what curl asks it for goes through
   * the rules as the user its UUID names, 10 MiB arrive intact, a SOCKS5 client's datagrams ride
   * VLESS's UDP requests to the echo server (DIRECT and through dante), and a client with another
   * UUID gets nothing while its refusal is logged.
   */
  @Test
  void vlessListenersServeVlessClients() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    String uuid = "9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68";
    TurnoutProcess turnout =
        turnout(
            "listeners:\n  - {name: vl-in, type: vless, port: 7932,"
                + " users: [{username: alice, uuid: "
                + uuid
                + "}], "
                + certificateAndKey("vless-tls")
                + "}\n  - {name: vl-plain, type: vless, port: 7933,"
                + " users: [{username: bob, uuid: "
                + uuid
                + "}]}\n");
    Process tls = v2rayVlessClient("v2ray-tls", 1096, 7932, uuid, true);
    Process plain = v2rayVlessClient("v2ray-plain", 1097, 7933, uuid, false);
    Process wrong =
        v2rayVlessClient("v2ray-wrong", 1098, 7932, "0d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68", true);
    checkThenStop(
        turnout,
        List.of(tls, plain, wrong, echo),
        () -> {
          assertV2rayClientsServed(
              turnout, 1096, "vl-in", "vl-plain", "Vless", "a UUID no user has");
          assertThat(turnout.log())
              .contains("inbound: vl-in (vless) on 127.0.0.1:7932, tcp, TLS, 1 users");
        });
  }

  /**
   * listeners: of type vmess, with Debian's v2ray as the client as for VLESS: in TLS with
   * aes-128-gcm and plain with chacha20-poly1305 (v2ray seals its headers with AEAD at alterId 0
   * and masks and pads its chunks), TCP through the rules as the user its UUID names, 10 MiB
   * intact, datagrams on VMess's UDP requests DIRECT and through dante, and another UUID refused.
   */
  @Test
  void vmessListenersServeVmessClients() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    String uuid = "9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68";
    TurnoutProcess turnout =
        turnout(
            "listeners:\n  - {name: vm-in, type: vmess, port: 7934,"
                + " users: [{username: alice, uuid: "
                + uuid
                + ", alterId: 0}], "
                + certificateAndKey("vmess-tls")
                + "}\n  - {name: vm-plain, type: vmess, port: 7935,"
                + " users: [{username: bob, uuid: "
                + uuid
                + "}]}\n");
    Process tls =
        v2rayClient(
            "v2ray-vm-tls",
            1099,
            "vmess",
            vnext(7934, vmessUser(uuid, "aes-128-gcm")),
            "vmess-tls",
            null);
    Process plain =
        v2rayClient(
            "v2ray-vm-plain",
            1100,
            "vmess",
            vnext(7935, vmessUser(uuid, "chacha20-poly1305")),
            null,
            null);
    Process wrong =
        v2rayClient(
            "v2ray-vm-wrong",
            1101,
            "vmess",
            vnext(7934, vmessUser("0d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68", "none")),
            "vmess-tls",
            null);
    checkThenStop(
        turnout,
        List.of(tls, plain, wrong, echo),
        () -> {
          assertV2rayClientsServed(
              turnout, 1099, "vm-in", "vm-plain", "Vmess", "a request of no user");
          assertThat(turnout.log())
              .contains("inbound: vm-in (vmess) on 127.0.0.1:7934, tcp, TLS, 1 users");
        });
  }

  /** A check that may throw anything. */
  @FunctionalInterface
  private interface Check {
    void run() throws Exception;
  }

  /** Runs {@code check}, then stops Turnout and {@code processes}, however the check ended. */
  private static void checkThenStop(TurnoutProcess turnout, List<Process> processes, Check check)
      throws Exception {
    try {
      check.run();
    } finally {
      turnout.terminate(T);
      for (Process p : processes) {
        p.destroyForcibly().waitFor();
      }
    }
  }

  /**
   * ws-path: VLESS and Trojan in TLS and VMess plain, each over WebSocket, with Debian's v2ray as
   * the client: pages through each, 10 MiB intact over VMess, datagrams over VLESS (DIRECT and
   * through dante), and a client asking for another path answered 404 and logged.
   */
  @Test
  void webSocketListenersServeV2rayClients() throws Exception {
    Process echo = UdpEcho.startServer(sandbox);
    String uuid = "9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68";
    String users = ", users: [{username: alice, uuid: " + uuid + "}]";
    TurnoutProcess turnout =
        turnout(
            "listeners:\n  - {name: vl-ws, type: vless, port: 7936, ws-path: /vless"
                + users
                + ", "
                + certificateAndKey("ws-tls")
                + "}\n  - {name: vm-ws, type: vmess, port: 7937, ws-path: /vmess"
                + users
                + "}\n  - {name: tj-ws, type: trojan, port: 7938, ws-path: /trojan,"
                + " users: [{username: carol, password: tj-secret}], "
                + certificateAndKey("ws-tls")
                + "}\n");
    String trojan =
        "{\"servers\":[{\"address\":\"127.0.0.1\",\"port\":7938,\"password\":\"tj-secret\"}]}";
    List<Process> clients =
        List.of(
            v2rayClient(
                "v2ray-vl-ws", 1102, "vless", vnext(7936, vlessUser(uuid)), "ws-tls", "/vless"),
            v2rayClient(
                "v2ray-vm-ws",
                1103,
                "vmess",
                vnext(7937, vmessUser(uuid, "aes-128-gcm")),
                null,
                "/vmess"),
            v2rayClient("v2ray-tj-ws", 1104, "trojan", trojan, "ws-tls", "/trojan"),
            v2rayClient(
                "v2ray-ws-wrong",
                1105,
                "vmess",
                vnext(7937, vmessUser(uuid, "none")),
                null,
                "/other"));
    List<Process> stopped = new java.util.ArrayList<>(clients);
    stopped.add(echo);
    checkThenStop(
        turnout,
        stopped,
        () -> {
          for (int port = 1102; port <= 1105; port++) {
            awaitListening(port);
          }
          String page = "http://www.example.test/index.html";
          for (int port = 1102; port <= 1104; port++) {
            assertThat(ok(curl("--socks5-hostname", "127.0.0.1:" + port, page)))
                .as("through %d", port)
                .isEqualTo("ok\n");
          }
          assertDownloadIntact("--socks5-hostname", "127.0.0.1:1103");
          udpEchoesDirectAndThroughDante(turnout, 1102, "vl-ws Vless", 1400);
          Outcome refused = curl("--socks5-hostname", "127.0.0.1:1105", page);
          assertThat(refused.exit()).as("another path: %s", refused).isNotZero();
          turnout.awaitLog("sent a request for /other; answered 404", Duration.ofSeconds(5));
          assertThat(turnout.log())
              .contains("inbound: vl-ws (vless) on 127.0.0.1:7936, tcp, TLS, WebSocket at /vless")
              .containsPattern("-> www\\.example\\.test:80 \\(vm-ws Vmess\\) rule MATCH")
              .containsPattern("-> www\\.example\\.test:80 \\(tj-ws Trojan\\) rule MATCH");
        });
  }

  /**
   * Three v2ray clients on SOCKS5 ports from {@code first}: in TLS to the listener {@code tlsIn},
   * in plain to {@code plainIn}, and with another UUID. What curl asks the first two for goes
   * through the rules as their users (inbound type {@code type}), 10 MiB arrive intact, datagrams
   * ride the first one's UDP requests DIRECT and through dante, and the third gets nothing while
   * Turnout logs {@code refusal}.
   */
  private static void assertV2rayClientsServed(
      TurnoutProcess turnout, int first, String tlsIn, String plainIn, String type, String refusal)
      throws Exception {
    for (int port = first; port < first + 3; port++) {
      awaitListening(port);
    }
    String page = "http://www.example.test/index.html";
    long danteBefore = danteConnects();
    String tls = "127.0.0.1:" + first;
    String plain = "127.0.0.1:" + (first + 1);
    assertThat(ok(curl("--socks5-hostname", tls, page))).isEqualTo("ok\n");
    assertDownloadIntact("--socks5-hostname", tls);
    assertThat(danteConnects()).as("bulk.example.test via dante").isEqualTo(danteBefore + 1);
    assertThat(ok(curl("--socks5-hostname", plain, page))).isEqualTo("ok\n");
    assertDownloadIntact("--socks5-hostname", plain);
    // v2ray reads a SOCKS5 client's datagrams into 2 KiB buffers: longer ones arrive cut
    udpEchoesDirectAndThroughDante(turnout, first, tlsIn + " " + type, 1400);
    Outcome refused = curl("--socks5-hostname", "127.0.0.1:" + (first + 2), page);
    assertThat(refused.exit()).as("another UUID: %s", refused).isNotZero();
    turnout.awaitLog(refusal, Duration.ofSeconds(5));
    for (String in : List.of(tlsIn, plainIn)) {
      assertThat(turnout.log())
          .containsPattern(
              "-> www\\.example\\.test:80 \\(" + in + " " + type + "\\) rule MATCH .*via DIRECT");
    }
    assertThat(turnout.log())
        .containsPattern(
            "-> bulk\\.example\\.test:80 \\("
                + tlsIn
                + " "
                + type
                + "\\) rule DOMAIN-SUFFIX.*via Proxy");
  }

  /** A v2ray VMess user (AEAD headers: alterId 0) with body {@code security}. */
  private static String vmessUser(String uuid, String security) {
    return "{\"id\":\"" + uuid + "\",\"alterId\":0,\"security\":\"" + security + "\"}";
  }

  /**
   * v2ray as a SOCKS5 server on {@code port} (UDP too) whose VLESS outbound goes to {@code server}
   * with {@code uuid}, in TLS checked against the listener's certificate, or plain.
   */
  private static Process v2rayVlessClient(
      String name, int port, int server, String uuid, boolean tls) throws Exception {
    return v2rayClient(
        name, port, "vless", vnext(server, vlessUser(uuid)), tls ? "vless-tls" : null, null);
  }

  private static String vlessUser(String uuid) {
    return "{\"id\":\"" + uuid + "\",\"encryption\":\"none\"}";
  }

  /** A VLESS or VMess outbound's settings: {@code user} (its JSON) on 127.0.0.1:{@code server}. */
  private static String vnext(int server, String user) {
    return "{\"vnext\":[{\"address\":\"127.0.0.1\",\"port\":"
        + server
        + ",\"users\":["
        + user
        + "]}]}";
  }

  /**
   * v2ray as a SOCKS5 server on {@code port} (UDP too) whose {@code protocol} outbound has {@code
   * settings} (its JSON), in TLS checked against the certificate in {@code tlsDir} (plain when that
   * is null), over WebSocket at {@code wsPath} (or TCP when that is null).
   */
  private static Process v2rayClient(
      String name, int port, String protocol, String settings, String tlsDir, String wsPath)
      throws Exception {
    Path config = sandbox.file(name + ".json");
    String stream =
        "{\"network\":"
            + (wsPath == null ? "\"tcp\"" : "\"ws\",\"wsSettings\":{\"path\":\"" + wsPath + "\"}")
            + (tlsDir == null
                ? ""
                : ",\"security\":\"tls\",\"tlsSettings\":{\"serverName\":\"proxy.test\","
                    + "\"certificates\":[{\"usage\":\"verify\",\"certificateFile\":\""
                    + sandbox.file(tlsDir + "/cert.pem")
                    + "\"}]}")
            + "}";
    Files.writeString(
        config,
        "{\"log\":{\"loglevel\":\"warning\"},\"inbounds\":[{\"listen\":\"127.0.0.1\",\"port\":"
            + port
            + ",\"protocol\":\"socks\",\"settings\":{\"auth\":\"noauth\",\"udp\":true,"
            + "\"ip\":\"127.0.0.1\"}}],\"outbounds\":[{\"protocol\":\""
            + protocol
            + "\",\"settings\":"
            + settings
            + ",\"streamSettings\":"
            + stream
            + "}]}");
    return sandbox.inClientBackground(name, "v2ray", "-config", config.toString());
  }

  /**
   * A self-signed certificate for proxy.test and 127.0.0.1 and its key, made in the sandbox's
   * {@code dir}: a listener entry's {@code certificate} and {@code private-key}, flow style.
   */
  private static String certificateAndKey(String dir) throws Exception {
    Path tls = Files.createDirectories(sandbox.file(dir));
    dev.turnout.testing.SelfSigned.write(tls, "proxy.test", "DNS:proxy.test,IP:127.0.0.1");
    return "certificate: " + tls.resolve("cert.pem") + ", private-key: " + tls.resolve("key.pem");
  }

  /** trojan-gfw as a SOCKS5 client on {@code port} of the Trojan listener on 7931. */
  private static Process trojanClient(String name, int port, String password) throws Exception {
    Path config = sandbox.file(name + ".json");
    Files.writeString(
        config,
        "{\"run_type\":\"client\",\"local_addr\":\"127.0.0.1\",\"local_port\":"
            + port
            + ",\"remote_addr\":\"127.0.0.1\",\"remote_port\":7931,\"password\":[\""
            + password
            + "\"],\"log_level\":1,\"ssl\":{\"verify\":false,\"verify_hostname\":false,"
            + "\"sni\":\"proxy.test\"}}");
    return sandbox.inClientBackground(name, "trojan", "-c", config.toString());
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
      udpEchoesDirectAndThroughDante(turnout, 7890, "DEFAULT-MIXED Socks5");
    } finally {
      turnout.terminate(T);
      echo.destroyForcibly().waitFor();
    }
  }

  /**
   * 200 datagrams to the echo server by name through the SOCKS5 server on {@code port} (every 50th
   * 9,000 bytes long: longer than a read buffer's default), DIRECT and through dante by rule, each
   * echoed whole; Turnout logs both flows as {@code inbound}'s.
   */
  private static void udpEchoesDirectAndThroughDante(
      TurnoutProcess turnout, int port, String inbound) throws Exception {
    udpEchoesDirectAndThroughDante(turnout, port, inbound, 9000);
  }

  /** As above, every 50th datagram {@code longest} bytes long. */
  private static void udpEchoesDirectAndThroughDante(
      TurnoutProcess turnout, int port, String inbound, int longest) throws Exception {
    Outcome result =
        inClient(
            "python3",
            "-c",
            SocksUdpClient.SCRIPT,
            "127.0.0.1",
            Integer.toString(port),
            "200+" + longest,
            "www.example.test:7",
            "bulk.example.test:7");
    assertThat(result.exit()).as("%s", result).isZero();
    assertThat(result.stdout())
        .as("the echoes; Turnout's log:%n%s", turnout.log())
        .contains("www.example.test:7 echoed 200 bad 0")
        .contains("bulk.example.test:7 echoed 200 bad 0");
    assertThat(Files.readString(sandbox.file("danted.log"))).contains("udpassociate");
    turnout.awaitLog("udp 127.0.0.1", Duration.ofSeconds(5));
    String in = Pattern.quote("(" + inbound + ")");
    assertThat(turnout.log())
        .containsPattern(
            "udp 127\\.0\\.0\\.1:\\d+ -> www\\.example\\.test:7 " + in + " rule MATCH .*via DIRECT")
        .containsPattern(
            "udp 127\\.0\\.0\\.1:\\d+ -> bulk\\.example\\.test:7 "
                + in
                + " rule DOMAIN-SUFFIX.*via Proxy");
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
      assertThat(ok(lanCurl("[2001:db8:66::65]:7890", page)))
          .as("every address is IPv6's too, as in mihomo")
          .isEqualTo("ok\n");
      open.awaitLog("tcp [2001:db8:66::66]", Duration.ofSeconds(5));
      assertThat(open.log())
          .contains(
              "SECURITY: DEFAULT-MIXED (mixed) on [::]:7890 accept connections from other"
                  + " hosts WITHOUT AUTHENTICATION")
          .containsPattern(
              "tcp 198\\.51\\.100\\.66:\\d+ -> www\\.example\\.test:80 \\(DEFAULT-MIXED Socks5\\)")
          .containsPattern(
              "tcp \\[2001:db8:66::66]:\\d+ -> www\\.example\\.test:80 \\(DEFAULT-MIXED Socks5\\)");
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
    var result = sandbox.inLan(T, command);
    return new Outcome(result.exit(), result.stdout(), result.toString());
  }

  /** Fetches {@code url} from the LAN host, through no proxy. */
  private static Outcome lanFetch(String url) throws Exception {
    return inLan("curl", "-sS", "--fail", "--max-time", "10", url);
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
