package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.MmdbWriter;
import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The dns: keys people configure, end to end: Turnout in the client namespace, two real dnsmasq
 * resolvers (203.0.113.1, and 198.51.100.53 behind the router), DNS over TLS (stunnel) and DNS over
 * HTTPS (dnsdist) by name, dante as a proxy. Each test reads the resolvers' query logs to see which
 * server was asked, and gets real answers back through {@code fake-ip-filter}.
 */
class DnsUpstreamsIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static Sandbox sandbox;
  private TurnoutProcess turnout;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    sandbox.startServer("routed");
    sandbox.startServer("socks-routed");
    sandbox.startServer("dot");
    sandbox.startServer("doh");
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

  /** Starts Turnout in fake-IP mode with real answers for *.example.test, to see whose they are. */
  private void startTurnout(String top, String... dns) throws Exception {
    List<String> keys = new ArrayList<>(List.of("fake-ip-filter: ['+.example.test']"));
    keys.addAll(List.of(dns));
    turnout =
        sandbox.startTurnout(
            yaml(top, keys, List.of(), "MATCH,DIRECT"), sandbox.trustingSandboxTls());
  }

  private static String yaml(String top, List<String> dns, List<String> tun, String... rules) {
    return String.join(
        "\n",
        "log-level: info",
        "state-dir: " + sandbox.file("state"),
        top,
        "dns:",
        "  " + String.join("\n  ", dns),
        "tun:",
        "  device: turnout0",
        tun.isEmpty() ? "" : "  " + String.join("\n  ", tun),
        "rules:",
        "  - " + String.join("\n  - ", rules),
        "");
  }

  private static String dig(String name) throws Exception {
    Command.Result result =
        sandbox.inClient(T, "dig", "+short", "+time=5", "+tries=1", "@198.18.0.1", name);
    assertThat(result.exit()).as("%s", result).isZero();
    return result.stdout().trim();
  }

  /** How often {@code log} (a dnsmasq query log) shows an A query for {@code name}. */
  private static long asked(String log, String name) throws Exception {
    Path file = sandbox.file(log);
    if (!Files.exists(file)) {
      return 0;
    }
    return Files.readAllLines(file).stream()
        .filter(l -> l.contains("query[A] " + name + " from"))
        .count();
  }

  /** Waits (at most 5 s: dnsmasq writes its log a little later) until {@link #asked} is so. */
  private static void awaitAsked(String log, String name, long expected) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (asked(log, name) < expected && System.nanoTime() < deadline) {
      Thread.sleep(50); // a log file being written, not a protocol timeout
    }
    assertThat(asked(log, name)).as("%s asked for %s", log, name).isEqualTo(expected);
  }

  @Test
  void nameserverPolicySendsItsNamesToTheirServerForAnswersAndForDialing() throws Exception {
    startTurnout(
        "",
        "nameserver: [203.0.113.1]",
        "nameserver-policy:",
        "  '+.routed.example.test': 198.51.100.53");
    long main = asked("dnsmasq.log", "routed.example.test");
    long routed = asked("dnsmasq-routed.log", "routed.example.test");
    long www = asked("dnsmasq-routed.log", "www.example.test");
    assertThat(dig("routed.example.test")).isEqualTo("198.51.100.10");
    awaitAsked("dnsmasq-routed.log", "routed.example.test", routed + 1);
    assertThat(dig("www.example.test")).isEqualTo("203.0.113.10"); // everything else: main
    Thread.sleep(500); // time for dnsmasq to log what it should not have been asked
    assertThat(asked("dnsmasq.log", "routed.example.test")).isEqualTo(main);
    assertThat(asked("dnsmasq-routed.log", "www.example.test")).isEqualTo(www);
  }

  @Test
  void aDirectConnectionResolvesThroughThePolicyServer() throws Exception {
    // fake-IP answers for routed.example.test (no filter here), so Turnout dials it by name
    String yaml =
        yaml(
            "",
            List.of(
                "nameserver: [203.0.113.1]",
                "nameserver-policy: {'routed.example.test': 198.51.100.53}"),
            List.of(),
            "MATCH,DIRECT");
    long main = asked("dnsmasq.log", "routed.example.test");
    long routed = asked("dnsmasq-routed.log", "routed.example.test");
    turnout = sandbox.startTurnout(yaml);
    Command.Result curl =
        sandbox.inClient(
            T,
            "curl",
            "-sS",
            "--fail",
            "--max-time",
            "20",
            "http://routed.example.test/index.html");
    assertThat(curl.exit()).as("%s", curl).isZero();
    assertThat(curl.stdout().trim()).isEqualTo("ok");
    awaitAsked("dnsmasq-routed.log", "routed.example.test", routed + 1);
    assertThat(asked("dnsmasq.log", "routed.example.test")).isEqualTo(main); // it has no answer
  }

  @Test
  void fallbackAnswersReplaceAnswersOutsideTheGeoipCountry() throws Exception {
    Path mmdb = sandbox.file("country.mmdb");
    new MmdbWriter("GeoLite2-Country")
        .put("203.0.113.0/24", Map.of("country", Map.of("iso_code", "CN")))
        .put("198.51.100.0/24", Map.of("country", Map.of("iso_code", "US")))
        .write(mmdb);
    startTurnout(
        "geoip-database: " + mmdb,
        "nameserver: [203.0.113.1]",
        "fallback: [198.51.100.53]",
        "fallback-filter: {geoip: true, geoip-code: CN, ipcidr: ['198.51.100.200/32']}");
    long www = asked("dnsmasq-routed.log", "www.example.test");
    long abroad = asked("dnsmasq-routed.log", "abroad.example.test");
    assertThat(dig("www.example.test")).isEqualTo("203.0.113.10"); // CN: the main answer stands
    // main says 198.51.100.10, in US: the fallback server's answer is used
    assertThat(dig("abroad.example.test")).isEqualTo("198.51.100.11");
    awaitAsked("dnsmasq-routed.log", "abroad.example.test", abroad + 1);
    assertThat(asked("dnsmasq-routed.log", "www.example.test")).isEqualTo(www);
    turnout.awaitLog("fallback Upstream[udp://198.51.100.53:53]", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("fallback Upstream[udp://198.51.100.53:53]");
  }

  @Test
  void aDnsOverTlsServerGivenByNameIsFoundThroughDefaultNameserver() throws Exception {
    long before = asked("dnsmasq.log", "dot.example.test");
    startTurnout("", "default-nameserver: [203.0.113.1]", "nameserver: ['tls://dot.example.test']");
    assertThat(dig("real.example.test")).isEqualTo("203.0.113.10");
    awaitAsked("dnsmasq.log", "dot.example.test", before + 1);
    turnout.awaitLog("nameserver Upstream[tls://dot.example.test:853]", Duration.ofSeconds(5));
    assertThat(turnout.log()).contains("nameserver Upstream[tls://dot.example.test:853]");
  }

  @Test
  void dnsOverHttpsByNameWorksUnderAutoRoute() throws Exception {
    // With auto-route an unmarked DoH socket would be captured by the TUN and loop back here.
    String yaml =
        yaml(
            "",
            List.of(
                "fake-ip-filter: ['+.example.test']",
                "default-nameserver: [203.0.113.1]",
                "nameserver: ['https://doh.example.test/dns-query']"),
            List.of("auto-route: true", "dns-hijack: [any:53]"),
            "MATCH,DIRECT");
    turnout = sandbox.startTurnout(yaml, sandbox.trustingSandboxTls());
    for (String name : List.of("real.example.test", "www.example.test", "bulk.example.test")) {
      assertThat(dig(name)).isEqualTo("203.0.113.10");
    }
    // hijacked: a query to any resolver is answered by Turnout, through DoH
    Command.Result other =
        sandbox.inClient(
            T, "dig", "+short", "+time=5", "+tries=1", "@192.0.2.53", "www.example.test");
    assertThat(other.stdout().trim()).as("%s", other).isEqualTo("203.0.113.10");
    assertThat(turnout.log()).doesNotContain("Exception");
  }

  @Test
  void respectRulesCarriesUpstreamConnectionsThroughTheProxyTheRulesPick() throws Exception {
    List<String> before = danteConnections();
    String yaml =
        yaml(
            "proxies:\n  - {name: Socks, type: socks5, server: 198.51.100.1, port: 1080}",
            List.of(
                "fake-ip-filter: ['+.example.test']",
                "respect-rules: true",
                "nameserver: [198.51.100.53]",
                "proxy-server-nameserver: [203.0.113.1]"),
            List.of(),
            "IP-CIDR,198.51.100.53/32,Socks",
            "MATCH,DIRECT");
    turnout = sandbox.startTurnout(yaml);
    assertThat(dig("routed.example.test")).isEqualTo("198.51.100.10");
    List<String> after = danteConnections();
    assertThat(after.size()).isGreaterThan(before.size());
    assertThat(after.subList(before.size(), after.size()))
        .anySatisfy(line -> assertThat(line).contains("198.51.100.53.53"));
  }

  /**
   * {@code dhcp://IFACE}: the only nameserver is whatever the link's DHCP server (dnsmasq) offers,
   * here the routed resolver, which alone knows routed.example.test. The server only offered: no
   * lease was taken.
   */
  @Test
  void dhcpNameserverAsksTheServerTheLinksDhcpServerOffers() throws Exception {
    if (!Files.exists(sandbox.file("dnsmasq-dhcp.pid"))) {
      sandbox.startServer("dhcp");
    }
    long routed = asked("dnsmasq-routed.log", "routed.example.test");
    startTurnout("", "nameserver: ['dhcp://" + sandbox.clientLink + "']");
    // dnsmasq first pings the address it will offer, for 3 s: until then there is no server
    turnout.awaitLog("DHCP on " + sandbox.clientLink + " offers nameservers [/198.51.100.53]", T);
    assertThat(dig("routed.example.test")).isEqualTo("198.51.100.10");
    awaitAsked("dnsmasq-routed.log", "routed.example.test", routed + 1);
    String dhcpLog = Files.readString(sandbox.file("dnsmasq-dhcp.log"));
    assertThat(dhcpLog).contains("DHCPDISCOVER").contains("DHCPOFFER");
    assertThat(dhcpLog).doesNotContain("DHCPREQUEST").doesNotContain("DHCPACK");
  }

  /**
   * {@code system}: the servers of the client's own resolv.conf (bind-mounted by {@code ip netns
   * exec}). With {@code system-resolver: true} Turnout then points that file at itself; the servers
   * read before keep answering instead of Turnout asking itself.
   */
  @Test
  void systemNameserverAsksTheHostsResolversAndNeverTurnoutItself() throws Exception {
    Path resolvConf = Path.of("/etc/netns", sandbox.client, "resolv.conf");
    String before = Files.readString(resolvConf);
    try {
      Files.writeString(resolvConf, "# the host's own\nnameserver 198.51.100.53\n");
      long routed = asked("dnsmasq-routed.log", "routed.example.test");
      startTurnout("", "system-resolver: true", "nameserver: [system]");
      assertThat(Files.readString(resolvConf)).contains("nameserver 198.18.0.1");
      assertThat(dig("routed.example.test")).isEqualTo("198.51.100.10");
      awaitAsked("dnsmasq-routed.log", "routed.example.test", routed + 1);
      Thread.sleep(2_500); // past the 2 s after which the system's servers are read again
      assertThat(dig("routed.example.test")).isEqualTo("198.51.100.10"); // cached: the upstream
      assertThat(dig("www.example.test")).isEqualTo("203.0.113.10"); // starts the re-read
      Thread.sleep(500);
      assertThat(dig("bulk.example.test")).isEqualTo("203.0.113.10"); // after it
      assertThat(turnout.log()).contains("system asks [/198.51.100.53]");
      assertThat(turnout.log()).doesNotContain("system asks [/198.18.0.1]");
    } finally {
      if (turnout != null) {
        turnout.terminate(T); // so that the resolv.conf it replaced comes back first
        turnout = null;
      }
      Files.writeString(resolvConf, before);
    }
  }

  /** The connections dante (socks-routed) logged so far. */
  private static List<String> danteConnections() throws Exception {
    Path log = sandbox.file("danted-routed.log");
    return Files.exists(log)
        ? new ArrayList<>(
            Files.readAllLines(log).stream().filter(l -> l.contains("connect")).toList())
        : new ArrayList<>();
  }
}
