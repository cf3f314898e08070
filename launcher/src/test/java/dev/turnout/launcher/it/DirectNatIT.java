package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code tun.direct-nat}: DIRECT flows whose real address is known on the first packet are NAT'ed
 * to it and forwarded by the kernel, past the relay, with real peers (curl in the client namespace,
 * nginx in the "internet" one); the host's forwarding and masquerade exist only while Turnout runs.
 */
class DirectNatIT {
  private static final Duration T = Duration.ofSeconds(60);
  private static final String TABLE = "turnout_turnout0";
  private static final int CONTROLLER = 9090;
  private static final String SECRET = "direct-nat";

  /**
   * Python defining get(name, port): GET /index.html from local port {@code port} to name:80, the
   * reply's body returned. The connection ends with a RST (SO_LINGER 0) once the reply is in, so
   * that no TIME_WAIT of the client's holds the port for its next use. Callers pick ports below the
   * ephemeral range (32768 on): Turnout, in the same namespace, dials from that range, and one of
   * its sockets held port 47514 once when the client wanted it.
   */
  private static final String RST_GET =
      String.join(
          "\n",
          "import socket, struct, sys, threading",
          "def get(name, port):",
          "    s = socket.socket()",
          "    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)",
          "    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))",
          "    s.settimeout(5)",
          "    s.bind(('0.0.0.0', port))",
          "    s.connect((name, 80))",
          "    s.sendall(b'GET /index.html HTTP/1.0\\r\\nHost: ' + name.encode() + b'\\r\\n\\r\\n')",
          "    reply = b''",
          "    while True:",
          "        chunk = s.recv(65536)",
          "        if not chunk:",
          "            break",
          "        reply += chunk",
          "    s.close()",
          "    return reply.split(b'\\r\\n\\r\\n', 1)[1]",
          "");

  private static Sandbox sandbox;
  private static TurnoutProcess turnout;

  static String config() {
    return Sandbox.config(
            "",
            String.join(
                "\n",
                "  - DOMAIN,bulk.example.test,relayed",
                "  - DOMAIN-SUFFIX,blocked.example.test,REJECT",
                "  - MATCH,DIRECT",
                "proxy-groups:",
                "  - {name: relayed, type: select, proxies: [DIRECT]}",
                "external-controller: 127.0.0.1:" + CONTROLLER,
                "secret: " + SECRET))
        .replace("  device: turnout0\n", "  device: turnout0\n  direct-nat: true\n");
  }

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    turnout = sandbox.startTurnout(config());
    turnout.awaitLog("direct-nat on", Duration.ofSeconds(5));
    // A name's first connection is relayed: the relay's dial is what resolves it.
    get("http://www.example.test/index.html");
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  static String get(String url) throws Exception {
    Command.Result result = sandbox.inClient(T, "curl", "-sS", "--fail", "--max-time", "10", url);
    assertThat(result.exit()).as("%s", result).isZero();
    return result.stdout();
  }

  @Test
  void aDirectFlowToAKnownNameIsForwardedByTheKernelAndArrivesIntact() throws Exception {
    long tunBytesBefore = sandbox.tunBytesToTurnout();
    long downloadedBefore = downloadTotal();
    sandbox.assertDownloadIntact("http://www.example.test/10m.bin", "10m.bin");
    turnout.awaitLog("forwarded by the kernel to 203.0.113.10", Duration.ofSeconds(5));
    assertThat(turnout.log())
        .containsPattern(
            "www\\.example\\.test:80 \\(198\\.18\\.[0-9.]+\\) rule MATCH .*via DIRECT \\(first"
                + " packet, forwarded by the kernel to 203\\.0\\.113\\.10\\)");
    // Only the SYN, SYN-ACK, FINs and the segments before the flow was mapped crossed the TUN.
    assertThat(sandbox.tunBytesToTurnout() - tunBytesBefore)
        .as("bytes through the TUN")
        .isLessThan(64 * 1024);
    assertThat(downloadTotal() - downloadedBefore)
        .as("the controller's total counts what the kernel forwarded")
        .isGreaterThanOrEqualTo(10L << 20);
  }

  /**
   * The kernel tells Turnout of a forwarded flow's SYN-ACK, FINs and RST through its event ring, so
   * only the SYN crosses the TUN (before, four segments did), and each flow still leaves the
   * controller's list when it ends.
   */
  @Test
  void onlyTheSynOfAForwardedFlowCrossesTheTun() throws Exception {
    get("http://www.example.test/index.html"); // the name's address is known from now on
    long before = sandbox.tunPacketsToTurnout();
    for (int i = 0; i < 20; i++) {
      Command.Result result =
          sandbox.inClient(
              T,
              "curl",
              "-sS",
              "--fail",
              "--local-port",
              "47200-47299",
              "http://www.example.test/index.html");
      assertThat(result.stdout()).as("%s", result).isEqualTo("ok\n");
    }
    assertThat(sandbox.tunPacketsToTurnout() - before)
        .as("packets through the TUN for 20 forwarded connections")
        .isBetween(20L, 30L);
    awaitUnlisted(47200, 47299);
  }

  /**
   * A name's first connection is relayed; the app's next one from the same port, while the relayed
   * one's entry is in its grace, is forwarded. The kernel looks its relayed rewrites up first, so
   * the relayed flow's rewrite must leave with it: else the forwarded flow's segments went to a
   * relay session that was gone, which reset it.
   *
   * <p>The first SYN starts the name's lookup and looks at it at once; on a loaded machine the
   * lookup has once ended in between (dnsmasq answers in tens of microseconds), and that connection
   * was forwarded too, which tests nothing here. So a name whose first connection was forwarded is
   * followed by a fresh one, up to 3 names.
   */
  @Test
  void aPortOfARelayedFlowReusedAtOnceForAForwardedOneWorks() throws Exception {
    List<String> tried = new ArrayList<>();
    for (String name : List.of("real.example.test", "real2.example.test", "real3.example.test")) {
      // Two requests from one local port, one after the other.
      int port = 20400 + tried.size();
      String client =
          RST_GET
              + "for _ in range(2):\n    sys.stdout.write(get(sys.argv[1], "
              + port
              + ").decode())\n";
      Command.Result result = sandbox.inClient(T, "python3", "-c", client, name);
      assertThat(result.stdout()).as("%s", result).isEqualTo("ok\nok\n");
      String flow = ":" + port + " -> " + Pattern.quote(name) + ":80 ";
      // The log is written apart from the flows: wait for the second line, not just the first. The
      // relayed one was logged before it: before the first reply.
      turnout.awaitLog(Pattern.compile(flow + ".*forwarded by the kernel"), Duration.ofSeconds(5));
      if (Pattern.compile(flow + ".*via DIRECT\n").matcher(turnout.log()).find()) {
        return;
      }
      tried.add(name);
    }
    throw new AssertionError("every name's first connection was forwarded: " + tried);
  }

  /**
   * Churn: 8 clients at once, each reusing its own 4 ports in turn for 60 connections, the names
   * alternating between a relayed route and a forwarded one, each connection ended with a RST (so a
   * port is reused while its last flow's NAT entry, rewrites and kernel events are fresh, on either
   * path). Every request gets its whole reply, and no flow of those ports stays listed.
   */
  @Test
  void portsReusedAtOnceAcrossRelayedAndForwardedFlowsAllWork() throws Exception {
    get("http://bulk.example.test/index.html"); // both names are known: the next ones are decided
    String client =
        RST_GET
            + String.join(
                "\n",
                "names = ['www.example.test', 'bulk.example.test']",
                "failures = []",
                "def run(c):",
                "    for i in range(60):",
                "        port = 20500 + 4 * c + i % 4",
                "        name = names[(i // 4 + c) % 2]",
                "        try:",
                "            body = get(name, port)",
                "            if body != b'ok\\n':",
                "                failures.append('%s from %d: %r' % (name, port, body[-40:]))",
                "        except Exception as e:",
                "            failures.append('%s from %d: %s' % (name, port, e))",
                "threads = [threading.Thread(target=run, args=(c,)) for c in range(8)]",
                "for t in threads: t.start()",
                "for t in threads: t.join()",
                "print('%d failed' % len(failures))",
                "for f in failures[:10]: print(f)");
    Command.Result result = sandbox.inClient(T, "python3", "-c", client);
    assertThat(result.stdout()).as("%s", result).isEqualTo("0 failed\n");
    assertThat(turnout.log())
        .containsPattern(":205[0-3][0-9] -> www\\.example\\.test:80 .*forwarded by the kernel")
        .containsPattern(":205[0-3][0-9] -> bulk\\.example\\.test:80 .*via relayed");
    awaitUnlisted(20500, 20531);
  }

  /** Waits up to 5 s until the controller lists no flow from local ports {@code first..last}. */
  static void awaitUnlisted(int first, int last) throws Exception {
    try (ControllerClient api = ControllerClient.of(sandbox, CONTROLLER, SECRET)) {
      long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
      while (api.connections().stream().anyMatch(c -> sourcePortIn(c, first, last))) {
        assertThat(System.nanoTime()).as("listed no longer than 5 s").isLessThan(deadline);
        Thread.sleep(100);
      }
    }
  }

  static long downloadTotal() throws Exception {
    try (ControllerClient api = ControllerClient.of(sandbox, CONTROLLER, SECRET)) {
      return ((Number) api.get("/connections").get("downloadTotal")).longValue();
    }
  }

  /**
   * The controller lists a forwarded flow with its route, and closing it frees its NAT entry: the
   * app's next segment (an ACK of the download) is answered with a RST.
   */
  @Test
  void theControllerListsAForwardedFlowAndClosesIt() throws Exception {
    try (ControllerClient api = ControllerClient.of(sandbox, CONTROLLER, SECRET)) {
      Process curl =
          sandbox.inClientBackground(
              "forwarded",
              "curl",
              "-sS",
              "-o",
              "/dev/null",
              "--local-port",
              "47100-47199", // to tell this flow from others of the name listed a moment longer
              "http://www.example.test/slow/10m.bin?rate=256k");
      Map<String, Object> c =
          api.awaitConnection(
              x -> "www.example.test".equals(ControllerClient.host(x)) && fromCurl(x),
              Duration.ofSeconds(10));
      assertThat(c.get("chains")).isEqualTo(List.of("DIRECT"));
      // Mid-download, at 256 KB/s: its bytes never reach the relay, the kernel counts them.
      long first = download(api, c);
      Thread.sleep(1000);
      long second = download(api, c);
      assertThat(second - first).as("bytes in 1 s at 256 KB/s").isBetween(64_000L, 1_000_000L);
      assertThat(api.call("DELETE", "/connections/" + c.get("id"), null).status()).isEqualTo(204);
      assertThat(curl.waitFor(5, TimeUnit.SECONDS)).as("curl ends within 5 s").isTrue();
      assertThat(curl.exitValue()).as("curl's exit code").isEqualTo(56);
      assertThat(Files.readString(sandbox.file("forwarded.out"))).contains("reset");
      assertThat(api.connections()).noneMatch(x -> x.get("id").equals(c.get("id")));
    }
  }

  static long download(ControllerClient api, Map<String, Object> connection) throws Exception {
    Map<String, Object> now =
        api.awaitConnection(x -> x.get("id").equals(connection.get("id")), Duration.ofSeconds(5));
    return ((Number) now.get("download")).longValue();
  }

  static boolean fromCurl(Map<String, Object> connection) {
    return sourcePortIn(connection, 47100, 47199);
  }

  @SuppressWarnings("unchecked")
  static boolean sourcePortIn(Map<String, Object> connection, int first, int last) {
    Object port = ((Map<String, Object>) connection.get("metadata")).get("sourcePort");
    int value = Integer.parseInt(String.valueOf(port));
    return value >= first && value <= last;
  }

  @Test
  void hundredConcurrentForwardedDownloadsArriveIntact() throws Exception {
    sandbox.assertParallelDownloadsIntact(100, "http://www.example.test/256k.bin", "256k.bin");
  }

  @Test
  void aClosedPortIsRefusedAtOnceThroughTheForwardedPath() throws Exception {
    Command.Result result =
        sandbox.inClient(T, "curl", "-sS", "--max-time", "5", "http://www.example.test:81/");
    assertThat(result.exit()).as("%s", result).isEqualTo(7); // the server's own RST
    turnout.awaitLog("www.example.test:81", Duration.ofSeconds(5)); // written apart from the flow
    assertThat(get("http://www.example.test/index.html")).isEqualTo("ok\n");
  }

  /** The ICMP error a router sends for a forwarded SYN reaches the app, which fails at once. */
  @Test
  void anUnreachableDestinationIsReportedAtOnce() throws Exception {
    Command.Result reject =
        sandbox.inInternet(
            T,
            "nft",
            "add table ip dnit; add chain ip dnit in { type filter hook input priority 0; };"
                + " add rule ip dnit in tcp dport 82 reject with icmp type host-unreachable");
    assertThat(reject.exit()).as("%s", reject).isZero();
    long start = System.nanoTime();
    Command.Result result =
        sandbox.inClient(T, "curl", "-sS", "--max-time", "10", "http://www.example.test:82/");
    // connect() failed (curl 7.88 does not say with which errno): without the ICMP error the SYN
    // would have been retransmitted until --max-time, exit 28
    assertThat(result.exit()).as("%s", result).isEqualTo(7);
    assertThat(System.nanoTime() - start).as("no SYN timeout").isLessThan(5_000_000_000L);
    // written apart from the flow, maybe after curl's end
    turnout.awaitLog(
        Pattern.compile("www\\.example\\.test:82 .*forwarded by the kernel"),
        Duration.ofSeconds(5));
  }

  @Test
  void otherRoutesAreStillRelayedOrRejected() throws Exception {
    get("http://bulk.example.test/index.html");
    get("http://bulk.example.test/index.html");
    assertThat(turnout.log())
        .containsPattern("bulk\\.example\\.test:80 .*via relayed")
        .doesNotContainPattern("bulk\\.example\\.test:80 .*forwarded by the kernel");
    Command.Result rejected =
        sandbox.inClient(
            T, "curl", "-sS", "--max-time", "5", "http://www.blocked.example.test/index.html");
    assertThat(rejected.exit()).as("%s", rejected).isEqualTo(7);
  }

  /**
   * A forwarded flow leaves from its app port moved off the host's ephemeral range (the client
   * namespace's), where the host's own connections and the relay's dials take theirs: the server
   * sees port {@code app - first + 1024}. Were it the app's own, a server holding that port in
   * TIME_WAIT for a connection of the other kind would answer the SYN, whose timestamps run on
   * another clock, with an ACK, and the connection would wait a second for its retransmit
   * (TcpExtPAWSTimewait in {@code bench/run.sh}, which this took from thousands to none).
   */
  @Test
  void aForwardedFlowLeavesFromItsAppPortMovedOffTheHostsOwnPorts() throws Exception {
    get("http://www.example.test/index.html"); // the name is known: the next one is forwarded
    String[] range =
        sandbox.inClient(T, "cat", "/proc/sys/net/ipv4/ip_local_port_range").stdout().split("\\s+");
    int first = Integer.parseInt(range[0]);
    turnout.awaitLog("masqueraded from ports 1024-", Duration.ofSeconds(1));
    // nginx closes first (Connection: close), so its TIME_WAIT names the port it saw.
    Command.Result curl =
        sandbox.inClient(
            T,
            "sh",
            "-c",
            "curl -sS --fail --max-time 10 --local-port 45000-45099 -H 'Connection: close'"
                + " -o /dev/null -w '%{local_port}' http://www.example.test/index.html");
    assertThat(curl.exit()).as("%s", curl).isZero();
    int app = Integer.parseInt(curl.stdout().trim());
    turnout.awaitLog(
        Pattern.compile(":" + app + " -> www\\.example\\.test:80 .*forwarded by the kernel"),
        Duration.ofSeconds(5));
    // In whichever state the server holds it: curl's FIN may still be on its way.
    Pattern seen = Pattern.compile(":" + (app - first + 1024) + "\\s*$", Pattern.MULTILINE);
    String sockets = "";
    for (int i = 0; i < 50 && !seen.matcher(sockets).find(); i++) {
      Thread.sleep(i == 0 ? 0 : 100);
      sockets = sandbox.inInternet(T, "ss", "-tanH", "state", "all", "sport", "= :80").stdout();
    }
    assertThat(sockets).as("the server's connections, app port %d", app).containsPattern(seen);
  }

  /**
   * A destination that leaves a forwarded SYN unanswered (the client's forward hook drops it here,
   * without a word) is relayed for a minute: the app's SYN after the 2 s the NAT waits for an
   * answer is judged again and relayed, and so is the next connection, at once. For a name, the
   * relay races its other addresses; silent.example.test has one only, so the relay's dial fails as
   * a direct one would.
   */
  @Test
  void aDestinationThatLeavesASynUnansweredIsRelayedAfterwards() throws Exception {
    String name = "silent.example.test";
    Command.Result hole =
        sandbox.inClient(
            T,
            "nft",
            "add table ip dnit_hole; add chain ip dnit_hole hole { type filter hook forward"
                + " priority 0; }; add rule ip dnit_hole hole ip daddr 203.0.113.99 drop");
    assertThat(hole.exit()).as("%s", hole).isZero();
    try {
      // The name's first connection is relayed; its dial makes the address known.
      sandbox.inClient(T, "curl", "-s", "--max-time", "1", "http://" + name + "/");
      int first = silentGet(name, "47000-47099", 5);
      String flow = ":" + first + " -> " + Pattern.quote(name) + ":80 ";
      turnout.awaitLog(
          Pattern.compile(flow + ".*forwarded by the kernel to 203\\.0\\.113\\.99"),
          Duration.ofSeconds(5));
      turnout.awaitLog(
          "203.0.113.99:80 did not answer a forwarded SYN within 2 s: its flows are relayed for"
              + " 60 s",
          Duration.ofSeconds(5));
      turnout.awaitLog(Pattern.compile(flow + ".*via DIRECT\n"), Duration.ofSeconds(5));

      int next = silentGet(name, "47100-47199", 1);
      String nextFlow = ":" + next + " -> " + Pattern.quote(name) + ":80 ";
      turnout.awaitLog(Pattern.compile(nextFlow + ".*via DIRECT\n"), Duration.ofSeconds(5));
      assertThat(turnout.log()).doesNotContainPattern(nextFlow + ".*forwarded by the kernel");
    } finally {
      sandbox.inClient(T, "nft", "delete", "table", "ip", "dnit_hole");
    }
  }

  /**
   * GETs http://NAME/ from a port of {@code ports}, giving up after {@code seconds}; returns the
   * port, which curl knows once connected (to the relay, here).
   */
  private static int silentGet(String name, String ports, int seconds) throws Exception {
    Command.Result curl =
        sandbox.inClient(
            T,
            "sh",
            "-c",
            "curl -s --max-time "
                + seconds
                + " --local-port "
                + ports
                + " -o /dev/null -w '%{local_port}' http://"
                + name
                + "/");
    assertThat(curl.stdout()).as("%s", curl).matches("[1-9][0-9]*");
    return Integer.parseInt(curl.stdout());
  }

  @Test
  void theHostForwardsAndMasqueradesThePoolWhileTurnoutRuns() throws Exception {
    Command.Result table = sandbox.inClient(T, "nft", "list", "table", "ip", TABLE);
    assertThat(table.exit()).as("%s", table).isZero();
    assertThat(table.stdout()).contains("198.19.0.0/16").contains("masquerade");
    assertThat(sandbox.inClient(T, "sysctl", "-n", "net.ipv4.conf.turnout0.forwarding").stdout())
        .isEqualTo("1\n");
  }

  /** Started apart from the shared Turnout: this one is stopped and killed. */
  @Test
  void stoppingOrCrashingLeavesNoForwardingBehind() throws Exception {
    try (Sandbox own = Sandbox.create()) {
      String forwarding = own.inClient(T, "sysctl", "-n", "net.ipv4.ip_forward").stdout();
      String routing = own.routing();
      TurnoutProcess stopped = own.startTurnout(config());
      stopped.awaitLog("direct-nat on", Duration.ofSeconds(5));
      assertThat(own.inClient(T, "nft", "list", "table", "ip", TABLE).exit()).isZero();
      assertThat(stopped.terminate(T)).isIn(0, 143);
      assertThat(own.inClient(T, "nft", "list", "table", "ip", TABLE).exit())
          .as("the table is gone after SIGTERM")
          .isNotZero();
      assertThat(own.inClient(T, "sysctl", "-n", "net.ipv4.ip_forward").stdout())
          .isEqualTo(forwarding);
      assertThat(own.routing()).isEqualTo(routing);

      TurnoutProcess killed = own.startTurnout(config());
      killed.awaitLog("direct-nat on", Duration.ofSeconds(5));
      killed.kill();
      assertThat(own.inClient(T, "nft", "list", "table", "ip", TABLE).exit())
          .as("the table outlives a killed Turnout")
          .isZero();
      Command.Result cleanup = own.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(own.inClient(T, "nft", "list", "table", "ip", TABLE).exit()).isNotZero();
      assertThat(own.inClient(T, "sysctl", "-n", "net.ipv4.ip_forward").stdout())
          .isEqualTo(forwarding);
      assertThat(own.routing()).isEqualTo(routing);
    }
  }
}
