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
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Capture-all ({@code tun.auto-route}) end to end, in the sandbox with {@code sandbox.sh routed}:
 * the client's only way to 198.51.100.0/24 is its default route, so auto-route sends every
 * connection there into the TUN — including, unless they are marked, Turnout's own sockets. The
 * upstream nameserver (198.51.100.53) and the SOCKS5 server (198.51.100.1) live there, and DNS
 * hijack is on: an unmarked upstream query would come back into Turnout as a hijacked query and be
 * answered with a fake IP, an unmarked proxy connection would be relayed to itself. Every socket
 * lives in the sandbox's namespaces; the "internet" namespace has no route out.
 */
class AutoRouteCaptureIT {
  private static final Duration T = Duration.ofSeconds(60);

  /** A capture-all config for the routed sandbox, with these proxies and rules (YAML lines). */
  static String config(Sandbox sandbox, String proxies, String rules) {
    return String.join(
        "\n",
        "log-level: info",
        "dns:",
        "  enable: true",
        "  fake-ip-range: 198.18.0.0/15",
        "  nameserver: [198.51.100.53]",
        "tun:",
        "  enable: true",
        "  device: turnout0",
        "  auto-route: true",
        "  dns-hijack: [any:53, tcp://any:53]",
        "state-dir: " + sandbox.file("state"),
        "proxies:",
        proxies,
        "rules:",
        rules,
        "");
  }

  private static Sandbox routedSandbox() throws Exception {
    Sandbox sandbox = Sandbox.create();
    try {
      sandbox.startServer("routed");
      sandbox.startServer("socks-routed");
      return sandbox;
    } catch (Exception e) {
      sandbox.close();
      throw e;
    }
  }

  @Test
  void everythingToARoutedNetworkPassesTheRulesAndTurnoutsOwnSocketsDoNotLoop() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      String before = sandbox.routing();
      TurnoutProcess turnout =
          sandbox.startTurnout(
              config(
                  sandbox,
                  "  - {name: dante, type: socks5, server: 198.51.100.1, port: 1080}\n"
                      + "  - {name: dante-by-name, type: socks5, server: socks.example.test,"
                      + " port: 1080}",
                  String.join(
                      "\n",
                      "  - DOMAIN-SUFFIX,bulk.example.test,dante",
                      "  - DOMAIN,www.example.test,dante-by-name",
                      "  - IP-CIDR,198.51.100.0/24,DIRECT",
                      "  - MATCH,DIRECT")));
      assertThat(sandbox.inClient(T, "ip", "rule").stdout())
          .contains("fwmark 0x2022 lookup main")
          .contains("lookup 2022");

      // (a) a literal address, captured by the default route, judged by an IP rule
      Command.Result literal =
          sandbox.inClient(
              T, "curl", "-sS", "--fail", "--max-time", "10", "http://198.51.100.10/index.html");
      assertThat(literal.exit()).as("%s", literal).isZero();
      assertThat(literal.stdout()).isEqualTo("ok\n");
      turnout.awaitLog("198.51.100.10:80", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "198\\.51\\.100\\.10:80 .*rule IP-CIDR,198\\.51\\.100\\.0/24 .*via DIRECT");

      // (b) the client asks the routed resolver itself: hijacked, answered with a fake IP; the
      // DIRECT dial then resolves the name through the marked upstream socket.
      Command.Result dig =
          sandbox.inClient(
              T, "dig", "+short", "+time=3", "+tries=1", "@198.51.100.53", "routed.example.test");
      assertThat(dig.exit()).as("%s", dig).isZero();
      String fake = dig.stdout().trim();
      assertThat(fake).as("answered by Turnout, not by dnsmasq").startsWith("198.18.");
      Command.Result byName =
          sandbox.inClient(
              T,
              "curl",
              "-sS",
              "--fail",
              "--max-time",
              "10",
              "--resolve",
              "routed.example.test:80:" + fake,
              "http://routed.example.test/index.html");
      assertThat(byName.exit()).as("%s\n%s", byName, turnout.log()).isZero();
      assertThat(byName.stdout()).isEqualTo("ok\n");
      assertThat(Files.readString(sandbox.file("dnsmasq-routed.log")))
          .as("Turnout's upstream query reached the real resolver through the default route")
          .contains("query[A] routed.example.test from 203.0.113.2");

      // (c) a rule sends a name through the SOCKS5 server, reached through the default route
      Command.Result viaProxy =
          sandbox.inClient(
              T,
              "curl",
              "-sS",
              "--fail",
              "--max-time",
              "10",
              "http://bulk.example.test/index.html");
      assertThat(viaProxy.exit()).as("%s\n%s", viaProxy, turnout.log()).isZero();
      assertThat(viaProxy.stdout()).isEqualTo("ok\n");
      assertThat(Files.readString(sandbox.file("danted-routed.log"))).contains("203.0.113.10.80");
      turnout.awaitLog("bulk.example.test:80", Duration.ofSeconds(5));

      // ... and the same server reached by name: Turnout resolves it through its marked upstream
      Command.Result viaNamedProxy =
          sandbox.inClient(
              T, "curl", "-sS", "--fail", "--max-time", "10", "http://www.example.test/index.html");
      assertThat(viaNamedProxy.exit()).as("%s\n%s", viaNamedProxy, turnout.log()).isZero();
      assertThat(Files.readString(sandbox.file("dnsmasq-routed.log")))
          .contains("query[A] socks.example.test from 203.0.113.2");
      turnout.awaitLog("www.example.test:80", Duration.ofSeconds(5));
      assertThat(turnout.log()).containsPattern("www\\.example\\.test:80 .*via dante-by-name");
      String log = turnout.log();
      assertThat(log)
          .containsPattern("bulk\\.example\\.test:80 .*rule DOMAIN-SUFFIX,bulk\\.example\\.test")
          .as("Turnout's own sockets never came back through its TUN")
          .doesNotContain("-> 198.51.100.1:1080")
          .doesNotContain("-> 198.51.100.53:53");

      // (d) SIGTERM undoes every rule and route
      int exit = turnout.terminate(Duration.ofSeconds(20));
      assertThat(exit).isIn(0, 143);
      assertThat(sandbox.routing()).isEqualTo(before);
    }
  }

  /**
   * (e) Loop canary: a proxy pointing at Turnout's own relay (the TUN address) would feed every
   * connection back into Turnout, each one opening another. The dial is refused; Turnout keeps
   * serving and does not leak file descriptors.
   */
  @Test
  void aProxyPointingAtTurnoutsOwnRelayIsRefusedWithoutLeaking() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      TurnoutProcess turnout =
          sandbox.startTurnout(
              config(
                  sandbox,
                  "  - {name: self, type: socks5, server: 198.18.0.1, port: 7890}",
                  "  - IP-CIDR,198.51.100.10/32,self\n  - MATCH,DIRECT"));
      long pid = turnoutPid(sandbox);
      long fdsBefore = openFiles(pid);
      for (int i = 0; i < 20; i++) {
        Command.Result looped =
            sandbox.inClient(
                T, "curl", "-sS", "--fail", "--max-time", "5", "http://198.51.100.10/index.html");
        assertThat(looped.exit()).as("%s", looped).isNotZero();
      }
      turnout.awaitLog("refusing to dial 198.18.0.1", Duration.ofSeconds(5));
      assertThat(turnout.log()).contains("refusing to dial 198.18.0.1");
      assertThat(turnout.isAlive()).isTrue();
      Command.Result still =
          sandbox.inClient(
              T, "curl", "-sS", "--fail", "--max-time", "10", "http://www.example.test/index.html");
      assertThat(still.exit()).as("%s\n%s", still, turnout.log()).isZero();
      assertThat(openFiles(pid))
          .as("file descriptors after 20 refused loops")
          .isLessThan(fdsBefore + 16);
      turnout.terminate(Duration.ofSeconds(20));
    }
  }

  /**
   * Gateway mode: a LAN host whose default route is the client namespace is captured like the
   * client's own connections: a literal address by an IP rule, and a name it asked its own resolver
   * for (hijacked, a fake IP) dialed DIRECT. The internet has no route back to the LAN, so an
   * answer at all proves the connection went through Turnout. The test sets forwarding in the
   * client before Turnout starts: off, allow-lan with auto-route turns it on, journaled, and off
   * again on exit; already on (a Docker host, a router), Turnout neither journals nor undoes it. A
   * Docker host also drops forwarded packets by default ({@code iptables -P FORWARD DROP}, as
   * dockerd leaves it): Turnout opens that chain to what goes through its TUN while it runs.
   */
  @ParameterizedTest(name = "ip_forward {0} before")
  @ValueSource(strings = {"0", "1", "1, FORWARD policy DROP"})
  void aLanHostRoutedThroughTheClientIsCapturedToo(String setting) throws Exception {
    String forwardingBefore = setting.substring(0, 1);
    try (Sandbox sandbox = routedSandbox()) {
      sandbox.startServer("lan");
      Command.Result set =
          sandbox.inClient(T, "sysctl", "-q", "-w", "net.ipv4.ip_forward=" + forwardingBefore);
      assertThat(set.exit()).as("%s", set).isZero();
      if (setting.endsWith("DROP")) {
        Command.Result drop = sandbox.inClient(T, "iptables", "-P", "FORWARD", "DROP");
        assertThat(drop.exit()).as("%s", drop).isZero();
      }
      String before = sandbox.routing();
      String firewall = sandbox.firewall();
      TurnoutProcess turnout =
          sandbox.startTurnout(
              "allow-lan: true\n"
                  + config(
                      sandbox,
                      "  - {name: dante, type: socks5, server: 198.51.100.1, port: 1080}",
                      "  - IP-CIDR,198.51.100.0/24,DIRECT\n  - MATCH,DIRECT"));
      assertThat(forwarding(sandbox)).as("allow-lan with auto-route forwards").isEqualTo("1");
      assertThat(
              sandbox.hostJournal().stream()
                  .filter(line -> line.startsWith("sysctl net.ipv4."))
                  .toList())
          .as("forwarding is journaled only if Turnout turned it on")
          .isEqualTo(
              forwardingBefore.equals("0") ? List.of("sysctl net.ipv4.ip_forward 0 1") : List.of());

      Command.Result literal =
          inLan(sandbox, "curl", "-sS", "--fail", "--max-time", "10", "http://198.51.100.10/");
      assertThat(literal.exit()).as("%s\n%s", literal, turnout.log()).isZero();
      assertThat(literal.stdout()).isEqualTo("ok\n");
      turnout.awaitLog("198.51.100.10:80", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern(
              "198\\.51\\.100\\.66:\\d+ -> 198\\.51\\.100\\.10:80 .*rule IP-CIDR,198\\.51\\.100\\.0/24");

      Command.Result dig =
          inLan(sandbox, "dig", "+short", "+time=3", "+tries=1", "routed.example.test");
      assertThat(dig.exit()).as("%s", dig).isZero();
      String fake = dig.stdout().trim();
      assertThat(fake).as("hijacked and answered by Turnout").startsWith("198.18.");
      Command.Result byName =
          inLan(
              sandbox,
              "curl",
              "-sS",
              "--fail",
              "--max-time",
              "10",
              "--resolve",
              "routed.example.test:80:" + fake,
              "http://routed.example.test/index.html");
      assertThat(byName.exit()).as("%s\n%s", byName, turnout.log()).isZero();
      assertThat(byName.stdout()).isEqualTo("ok\n");

      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
      assertThat(sandbox.routing()).isEqualTo(before);
      assertThat(forwarding(sandbox)).as("as it was before Turnout").isEqualTo(forwardingBefore);
      assertThat(sandbox.firewall()).as("the firewall as it was").isEqualTo(firewall);
    }
  }

  /**
   * A container's traffic, as Docker leaves it (forwarding on, its subnet masqueraded out of any
   * other interface), is captured and routed like the host's own, without allow-lan: capture-all
   * routing sends it into the TUN, the masquerade gives it the TUN's own address on the way, so the
   * NAT takes it as this host's. Its DNS is hijacked (a fake IP), and its connections by name and
   * by literal address both pass Turnout's rules, as in mihomo.
   */
  @Test
  void aMasqueradedContainersTrafficIsCapturedLikeTheHostsOwn() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      sandbox.startServer("lan");
      masquerade(sandbox);
      TurnoutProcess turnout =
          sandbox.startTurnout(
              config(
                  sandbox,
                  "  - {name: dante, type: socks5, server: 198.51.100.1, port: 1080}",
                  "  - DOMAIN,www.example.test,dante\n  - MATCH,DIRECT"));

      Command.Result dig =
          inLan(sandbox, "dig", "+short", "+time=3", "+tries=1", "routed.example.test");
      assertThat(dig.stdout().trim()).as("hijacked: %s", dig).startsWith("198.18.");
      Command.Result byName =
          inLan(sandbox, "curl", "-sS", "--max-time", "10", "http://www.example.test/index.html");
      assertThat(byName.stdout()).as("%s\n%s", byName, turnout.log()).isEqualTo("ok\n");
      Command.Result literal =
          inLan(sandbox, "curl", "-sS", "--max-time", "10", "http://198.51.100.10/index.html");
      assertThat(literal.stdout()).as("%s\n%s", literal, turnout.log()).isEqualTo("ok\n");
      turnout.awaitLog("-> 198.51.100.10:80", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsPattern("198\\.18\\.0\\.1:\\d+ -> www\\.example\\.test:80 .*via dante")
          .containsPattern("198\\.18\\.0\\.1:\\d+ -> 198\\.51\\.100\\.10:80 .*via DIRECT");
    }
  }

  /**
   * The keys that narrow the capture: {@code route-address} captures only what it lists, {@code
   * route-address-set} only what its ipcidr rule provider lists, {@code exclude-dst-port} (and its
   * range form) leaves a port out. Either way the routed server on port 80 is captured and passes
   * the rules, while dante on port 1080, next to it, is reached around Turnout, which never sees
   * it; the host's routing is as found after the stop.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "route-address: [198.51.100.10/32]",
        "route-address-set: [web]",
        "exclude-dst-port: [1080]",
        "exclude-dst-port-range: [\"1000:1100\"]"
      })
  void aNarrowedCaptureLeavesOutWhatItSays(String narrowing) throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      String before = sandbox.routing();
      String config = narrowed(sandbox, narrowing);
      if (narrowing.startsWith("route-address-set")) { // a list in a file, as users keep them
        Path list = sandbox.file("web.txt");
        Files.writeString(list, "198.51.100.10/32\n");
        config += "rule-providers:\n  web: {type: file, behavior: ipcidr, path: " + list + "}\n";
      }
      TurnoutProcess turnout = sandbox.startTurnout(config);
      if (narrowing.startsWith("route-address-set")) {
        assertThat(sandbox.inClient(T, "ip", "route", "show", "table", "2022").stdout())
            .isEqualTo("198.51.100.10 dev turnout0 proto 122 scope link \n");
      } else if (narrowing.startsWith("route-address")) {
        assertThat(sandbox.inClient(T, "ip", "route", "show", "table", "2022").stdout())
            .isEqualTo("198.51.100.10 dev turnout0 scope link \n");
      } else {
        assertThat(sandbox.inClient(T, "ip", "rule").stdout())
            .containsPattern("9003:\tfrom all dport 10[0-9]{2}(-1100)? lookup main");
      }

      Command.Result captured =
          sandbox.inClient(T, "curl", "-sS", "--max-time", "10", "http://198.51.100.10/index.html");
      assertThat(captured.stdout()).as("%s", captured).isEqualTo("ok\n");
      Command.Result around =
          sandbox.inClient(
              T,
              "python3",
              "-c",
              "import socket; socket.create_connection(('198.51.100.1', 1080), timeout=5).close();"
                  + " print('connected')");
      assertThat(around.stdout()).as("%s", around).isEqualTo("connected\n");
      turnout.awaitLog("-> 198.51.100.10:80", Duration.ofSeconds(5));
      assertThat(turnout.log()).doesNotContain("-> 198.51.100.1:1080");

      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
      assertThat(sandbox.routing()).isEqualTo(before);
    }
  }

  /**
   * {@code route-exclude-address-set}: the CIDRs of an ipcidr rule provider (a text list, as users
   * keep them) go around the TUN by throw routes in table 2022, and follow the list when it
   * changes. First dante's address is listed: a connection to it never reaches Turnout, while the
   * web server beside it is captured. Then the list names the web server instead, and the two swap.
   * After the stop, the routing is as found (the throw routes flushed with the rest).
   */
  @Test
  void anExcludedRuleSetsCidrsGoAroundTheTunAndFollowTheList() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      Path list = sandbox.file("around.txt");
      Files.writeString(list, "# kept out of the TUN\n198.51.100.1/32\n");
      String before = sandbox.routing();
      TurnoutProcess turnout =
          sandbox.startTurnout(
              narrowed(sandbox, "route-exclude-address-set: [around]")
                  + "rule-providers:\n  around: {type: file, behavior: ipcidr, format: text,"
                  + " interval: 1, path: "
                  + list
                  + "}\n");
      assertThat(sandbox.inClient(T, "ip", "route", "show", "table", "2022").stdout())
          .contains("throw 198.51.100.1 proto 122");
      String dante =
          "import socket; socket.create_connection(('198.51.100.1', 1080), timeout=5).close();"
              + " print('connected')";
      String url = "http://198.51.100.10/index.html";

      assertThat(sandbox.inClient(T, "python3", "-c", dante).stdout()).isEqualTo("connected\n");
      Command.Result web = fetchFrom(sandbox, "20630-20639", url);
      assertThat(web.stdout()).as("%s", web).isEqualTo("ok\n");
      turnout.awaitLog(
          Pattern.compile(":2063[0-9] -> 198\\.51\\.100\\.10:80 "), Duration.ofSeconds(5));
      assertThat(turnout.log()).doesNotContain("-> 198.51.100.1:1080");

      Files.writeString(list, "198.51.100.10/32\n");
      long deadline = System.nanoTime() + Duration.ofSeconds(45).toNanos();
      String table = "";
      while (System.nanoTime() < deadline && !table.contains("throw 198.51.100.10 ")) {
        Thread.sleep(500);
        table = sandbox.inClient(T, "ip", "route", "show", "table", "2022").stdout();
      }
      assertThat(table).contains("throw 198.51.100.10 proto 122").doesNotContain("198.51.100.1 ");
      assertThat(sandbox.inClient(T, "python3", "-c", dante).stdout()).isEqualTo("connected\n");
      turnout.awaitLog("-> 198.51.100.1:1080", Duration.ofSeconds(5));
      web = fetchFrom(sandbox, "20640-20649", url);
      assertThat(web.stdout()).as("%s", web).isEqualTo("ok\n");
      assertThat(turnout.log())
          .contains("tun: routes from rule sets: 0 CIDRs into the TUN, 1 around it")
          .doesNotContainPattern(":2064[0-9] -> ");

      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
      assertThat(sandbox.routing()).isEqualTo(before);
    }
  }

  /**
   * {@code include-uid}: only that user's connections are captured. The same request, from a
   * process running as user 1000 and from root, passes Turnout only for the first.
   */
  @Test
  void includeUidCapturesOnlyThatUser() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      TurnoutProcess turnout = sandbox.startTurnout(narrowed(sandbox, "include-uid: [1000]"));
      String url = "http://198.51.100.10/index.html";
      Command.Result user =
          sandbox.inClient(
              T,
              "setpriv",
              "--reuid=1000",
              "--regid=1000",
              "--clear-groups",
              "curl",
              "-sS",
              "--max-time",
              "10",
              "--local-port",
              "20610-20619",
              url);
      assertThat(user.stdout()).as("%s", user).isEqualTo("ok\n");
      Command.Result root = fetchFrom(sandbox, "20620-20629", url);
      assertThat(root.stdout()).as("%s", root).isEqualTo("ok\n");
      turnout.awaitLog(
          Pattern.compile(":2061[0-9] -> 198\\.51\\.100\\.10:80 "), Duration.ofSeconds(5));
      assertThat(turnout.log()).doesNotContainPattern(":2062[0-9] -> ");
    }
  }

  /**
   * {@code exclude-interface}: the masqueraded container of the test above, behind an excluded
   * interface, reaches the server as it did before Turnout, which never sees it; the client's own
   * connection is still captured.
   */
  @Test
  void anExcludedInterfacesTrafficGoesAroundTheTun() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      String device = maskedLan(sandbox);
      TurnoutProcess turnout =
          sandbox.startTurnout(narrowed(sandbox, "exclude-interface: [" + device + "]"));
      String url = "http://198.51.100.10/index.html";
      Command.Result container = inLan(sandbox, "curl", "-sS", "--max-time", "10", url);
      assertThat(container.stdout()).as("%s", container).isEqualTo("ok\n");
      Command.Result own = sandbox.inClient(T, "curl", "-sS", "--max-time", "10", url);
      assertThat(own.stdout()).as("%s", own).isEqualTo("ok\n");
      turnout.awaitLog("-> 198.51.100.10:80", Duration.ofSeconds(5));
      assertThat(turnout.log())
          .containsOnlyOnce("-> 198.51.100.10:80")
          .doesNotContain("198.51.100.66");
    }
  }

  /**
   * {@code include-interface}, the other way round: only the masqueraded container behind the
   * included interface is captured; the client's own connection (arriving by lo) reaches the server
   * around Turnout. After the stop, the routing is as found (each rule deleted by what it names).
   */
  @Test
  void onlyAnIncludedInterfacesTrafficIsCaptured() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      String device = maskedLan(sandbox);
      String before = sandbox.routing();
      TurnoutProcess turnout =
          sandbox.startTurnout(narrowed(sandbox, "include-interface: [" + device + "]"));
      String url = "http://198.51.100.10/index.html";
      Command.Result own = fetchFrom(sandbox, "20650-20659", url);
      assertThat(own.stdout()).as("%s", own).isEqualTo("ok\n");
      Command.Result container = inLan(sandbox, "curl", "-sS", "--max-time", "10", url);
      assertThat(container.stdout()).as("%s", container).isEqualTo("ok\n");
      turnout.awaitLog("-> 198.51.100.10:80", Duration.ofSeconds(5));
      assertThat(turnout.log()) // the container's, masqueraded to the TUN's address on its way in
          .containsOnlyOnce("-> 198.51.100.10:80")
          .doesNotContainPattern(":2065[0-9] -> ");
      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
      assertThat(sandbox.routing()).isEqualTo(before);
    }
  }

  /**
   * {@code exclude-mac-address} and {@code include-mac-address}: the masqueraded container, told by
   * its MAC address, reaches the server around Turnout when it is excluded, or when another device
   * is the only one included; included itself, it is captured. The client's own connection, which
   * has no MAC address, is captured every time. Turnout's nftables table goes with it.
   */
  @ParameterizedTest
  @ValueSource(strings = {"exclude:container", "include:another", "include:container"})
  void aDeviceLeftOutByItsMacAddressGoesAroundTheTun(String how) throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      maskedLan(sandbox);
      String lanDevice =
          inLan(sandbox, "ip", "-o", "-4", "addr", "show", "to", "198.51.100.66")
              .stdout()
              .split("\\s+")[1];
      String mac =
          inLan(sandbox, "cat", "/sys/class/net/" + lanDevice + "/address").stdout().strip();
      assertThat(mac).matches("[0-9a-f]{2}(:[0-9a-f]{2}){5}");
      String[] choice = how.split(":");
      String listed = choice[1].equals("container") ? mac : "02:00:5e:00:53:01";
      TurnoutProcess turnout =
          sandbox.startTurnout(
              narrowed(sandbox, choice[0] + "-mac-address: [\"" + listed.toUpperCase() + "\"]"));
      assertThat(sandbox.firewall()).contains("turnout_mac_turnout0");
      String url = "http://198.51.100.10/index.html";
      Command.Result container = inLan(sandbox, "curl", "-sS", "--max-time", "10", url);
      assertThat(container.stdout()).as("%s", container).isEqualTo("ok\n");
      Command.Result own = fetchFrom(sandbox, "20660-20669", url);
      assertThat(own.stdout()).as("%s", own).isEqualTo("ok\n");
      turnout.awaitLog(
          Pattern.compile(":2066[0-9] -> 198\\.51\\.100\\.10:80 "), Duration.ofSeconds(5));
      if (how.equals("include:container")) {
        turnout.awaitLog(
            Pattern.compile("-> 198\\.51\\.100\\.10:80 (?s).*-> 198\\.51\\.100\\.10:80 "),
            Duration.ofSeconds(5));
      } else {
        assertThat(turnout.log())
            .as("the container went around")
            .containsOnlyOnce("-> 198.51.100.10:80");
      }
      assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
      assertThat(sandbox.firewall()).doesNotContain("turnout_mac");
    }
  }

  /**
   * The LAN host started and its subnet masqueraded ({@link #masquerade}); returns the client's
   * interface toward it.
   */
  private static String maskedLan(Sandbox sandbox) throws Exception {
    sandbox.startServer("lan");
    masquerade(sandbox);
    String lanSide =
        sandbox.inClient(T, "ip", "-o", "-4", "addr", "show", "to", "198.51.100.65").stdout();
    return lanSide.split("\\s+")[1];
  }

  /** Forwarding on and the LAN host's subnet masqueraded, as Docker leaves a container. */
  private static void masquerade(Sandbox sandbox) throws Exception {
    for (String[] command :
        List.of(
            new String[] {"sysctl", "-q", "-w", "net.ipv4.ip_forward=1"},
            new String[] {
              "iptables",
              "-t",
              "nat",
              "-A",
              "POSTROUTING",
              "-s",
              "198.51.100.64/28",
              "!",
              "-d",
              "198.51.100.64/28",
              "-j",
              "MASQUERADE"
            })) {
      Command.Result set = sandbox.inClient(T, command);
      assertThat(set.exit()).as("%s", set).isZero();
    }
  }

  /** The routed network DIRECT by rule, with {@code tunKey} narrowing what auto-route captures. */
  /** {@code url} fetched in the client from a local port of {@code ports}, which logs then name. */
  private static Command.Result fetchFrom(Sandbox sandbox, String ports, String url)
      throws Exception {
    return sandbox.inClient(T, "curl", "-sS", "--max-time", "10", "--local-port", ports, url);
  }

  private static String narrowed(Sandbox sandbox, String tunKey) {
    return config(
            sandbox,
            "  - {name: dante, type: socks5, server: 198.51.100.1, port: 1080}",
            "  - IP-CIDR,198.51.100.0/24,DIRECT\n  - MATCH,DIRECT")
        .replace("  auto-route: true\n", "  auto-route: true\n  " + tunKey + "\n");
  }

  private static String forwarding(Sandbox sandbox) throws Exception {
    return sandbox.inClient(T, "sysctl", "-n", "net.ipv4.ip_forward").stdout().trim();
  }

  /**
   * An http rule provider behind the default route is downloaded through Turnout's own marked
   * socket: the list arrives (its rule rejects), and the download never shows up as a connection
   * captured by the TUN.
   */
  @Test
  void ruleProviderDownloadsCarryTheMarkAndNeverEnterTheTun() throws Exception {
    try (Sandbox sandbox = routedSandbox()) {
      java.nio.file.Files.writeString(sandbox.file("www/listed.txt"), "+.listed.example.test\n");
      TurnoutProcess turnout =
          sandbox.startTurnout(
              config(
                      sandbox,
                      "  - {name: dante, type: socks5, server: 198.51.100.1, port: 1080}",
                      "  - RULE-SET,listed,REJECT\n  - MATCH,DIRECT")
                  + "rule-providers:\n  listed:\n    type: http\n    behavior: domain\n"
                  + "    format: text\n    url: http://198.51.100.10/listed.txt\n"
                  + "    interval: 1\n");
      // The first download ran before the TUN existed; a refresh runs with auto-route in force.
      java.nio.file.Files.writeString(
          sandbox.file("www/listed.txt"), "+.listed.example.test\n+.later.example.test\n");
      turnout.awaitLog("provider listed: 2 entries", Duration.ofSeconds(30));

      for (String host : List.of("www.listed.example.test", "www.later.example.test")) {
        Command.Result blocked =
            sandbox.inClient(T, "curl", "-sS", "--max-time", "5", "http://" + host + "/index.html");
        assertThat(blocked.exit()).as("%s", blocked).isEqualTo(7); // refused by the list
      }
      assertThat(turnout.log()).doesNotContain("-> 198.51.100.10:80");
    }
  }

  private static Command.Result inLan(Sandbox sandbox, String... command) throws Exception {
    return sandbox.inLan(T, command);
  }

  /** The one Java process in the client namespace: Turnout ({@code ip netns exec} exec()s it). */
  private static long turnoutPid(Sandbox sandbox) throws Exception {
    String pids = Sandbox.run(T, "ip", "netns", "pids", sandbox.client).stdout();
    return pids.lines()
        .map(String::trim)
        .filter(p -> !p.isEmpty())
        .mapToLong(Long::parseLong)
        .filter(
            p -> ProcessHandle.of(p).flatMap(h -> h.info().command()).orElse("").endsWith("java"))
        .findFirst()
        .orElseThrow();
  }

  private static long openFiles(long pid) throws Exception {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(pid), "fd"))) {
      return fds.count();
    }
  }
}
