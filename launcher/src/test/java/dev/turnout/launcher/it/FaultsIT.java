package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Daemon;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Faults (issue 14): Turnout SIGKILLed under load, then {@code turnout cleanup}; a state directory
 * that is read-only or full; an upstream resolver that is dead or slow.
 */
class FaultsIT {
  private static final Duration T = Duration.ofSeconds(30);
  private static final String RESOLV = "# the user's own\nnameserver 203.0.113.1\n";

  @Test
  void sigkillUnderLoadThenCleanupRestoresRulesRoutesSysctlsAndResolverExactly() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      Files.writeString(Path.of("/etc/netns", sandbox.client, "resolv.conf"), RESOLV);
      String before = hostState(sandbox);
      TurnoutProcess turnout =
          sandbox.startTurnout(
              String.join(
                  "\n",
                  "log-level: info",
                  "allow-lan: true",
                  "dns:",
                  "  enable: true",
                  "  nameserver: [203.0.113.1]",
                  "  system-resolver: true",
                  "tun:",
                  "  enable: true",
                  "  device: turnout0",
                  "  auto-route: true",
                  "rules:",
                  "  - MATCH,DIRECT",
                  ""));
      String during = hostState(sandbox);
      assertThat(during)
          .as("rules, forwarding and the resolver changed")
          .contains("lookup main suppress_prefixlength 0")
          .contains("net.ipv4.ip_forward = 1")
          .contains("nameserver 198.18.0.1")
          .contains("turnout0");

      // Streams cut by the kill hang until curl gives up: the kernel cannot tell the client.
      // The 10 MiB ones are surely still in flight when it comes.
      LoadRun.smallSocketBuffers(sandbox);
      LoadRun run = LoadRun.start(sandbox, 200, 8, "256k.bin", 15);
      LoadRun large = LoadRun.start(sandbox, 10, 8, "10m.bin", 15);
      Thread.sleep(3_000);
      turnout.kill(); // SIGKILL: no shutdown hook runs
      List<LoadRun.Download> downloads = new ArrayList<>(run.await(Duration.ofSeconds(90)));
      downloads.addAll(large.await(Duration.ofSeconds(90)));
      assertThat(downloads.stream().filter(d -> d.exit() == 0 && !d.intact()).toList())
          .as("no stream reported complete with other bytes")
          .isEmpty();
      assertThat(downloads.stream().filter(d -> d.exit() != 0).count())
          .as("streams in flight were cut")
          .isPositive();
      assertThat(hostState(sandbox))
          .as("a killed Turnout leaves its changes (its TUN device goes with it)")
          .contains("lookup main suppress_prefixlength 0")
          .contains("net.ipv4.ip_forward = 1")
          .contains("nameserver 198.18.0.1");

      Command.Result cleanup = cleanup(sandbox);
      assertThat(cleanup.exit()).as("%s", cleanup).isZero();
      assertThat(cleanup.stdout()).contains("undid");
      assertThat(hostState(sandbox)).isEqualTo(before);
      assertThat(cleanup(sandbox).stdout()).contains("nothing to clean up");
      // and the namespace works as before, without Turnout
      assertThat(sandbox.inClient(T, "getent", "hosts", "www.example.test").stdout())
          .startsWith("203.0.113.10");
      sandbox.assertDownloadIntact("http://www.example.test/256k.bin", "256k.bin");
    }
  }

  @Test
  void aFullTunQueueDropsPacketsButLosesNoStream() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      TurnoutProcess turnout =
          sandbox.startTurnout(
              Sandbox.config("", "  - MATCH,DIRECT")
                  .replace("tun:\n", "tun:\n  fast-path: false\n"));
      // A queue of 8 packets towards Turnout, and a UDP flood to fill it while TCP crosses it.
      Command.check(
          T,
          List.of(
              "ip",
              "netns",
              "exec",
              sandbox.client,
              "ip",
              "link",
              "set",
              "turnout0",
              "txqueuelen",
              "8"));
      long droppedBefore = tunDrops(sandbox);
      Daemon flood =
          Daemon.startIn(sandbox.client, sandbox.file("udp-flood.log"), "python3", "-c", UDP_FLOOD);
      try {
        sandbox.assertParallelDownloadsIntact(20, "http://www.example.test/256k.bin", "256k.bin");
      } finally {
        flood.kill();
      }
      assertThat(tunDrops(sandbox) - droppedBefore).as("the queue was full").isPositive();
      assertThat(turnout.isAlive()).isTrue();
      assertThat(turnout.log()).doesNotContain(" ERROR ");
    }
  }

  /** Packets the kernel dropped because Turnout's TUN queue was full. */
  private static long tunDrops(Sandbox sandbox) throws Exception {
    String stats =
        sandbox
            .inClient(T, "cat", "/sys/class/net/turnout0/statistics/tx_dropped")
            .stdout()
            .strip();
    return Long.parseLong(stats);
  }

  /** Datagrams to a fake IP as fast as one process sends them, for at most 30 s. */
  private static final String UDP_FLOOD =
      """
      import socket, time
      addr = socket.gethostbyname("flood.example.test")
      s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
      s.setblocking(False)
      payload = b"x" * 1200
      end = time.time() + 30
      while time.time() < end:
          for port in range(9000, 9064):
              try:
                  s.sendto(payload, (addr, port))
              except OSError:
                  pass
          time.sleep(0.002)  # bursts of 64 overflow the queue of 8, and TCP still gets turns
      """;

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"read-only", "full"})
  void aStateDirThatCannotBeWrittenIsSaidAndTurnoutRunsWithoutIt(String fault) throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      Path state = sandbox.file("state");
      Files.createDirectories(state);
      String options = fault.equals("read-only") ? "ro,size=1m,mode=0700" : "size=64k,mode=0700";
      Command.check(T, List.of("mount", "-t", "tmpfs", "-o", options, "tmpfs", state.toString()));
      try {
        if (fault.equals("full")) {
          Command.Result fill =
              Command.run(T, "dd", "if=/dev/zero", "of=" + state.resolve("fill"), "bs=4k");
          assertThat(fill.stderr()).as("%s", fill).contains("No space left");
        }
        TurnoutProcess turnout =
            sandbox.startTurnout(
                Sandbox.config("", "  - MATCH,DIRECT")
                    + "state-dir: "
                    + state
                    + "\nprofile:\n  store-fake-ip: true\n");
        sandbox.assertDownloadIntact("http://www.example.test/256k.bin", "256k.bin");
        // said at start (cannot open) or at the first snapshot of the download's mapping
        Pattern said = Pattern.compile("cannot (keep|save) fake-IP mappings (in|to) " + state);
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (!said.matcher(turnout.log()).find() && System.nanoTime() < deadline) {
          Thread.sleep(100);
        }
        assertThat(turnout.log()).as("it says what it cannot keep").containsPattern(said);
        assertThat(turnout.isAlive()).isTrue();
        assertThat(turnout.terminate(Duration.ofSeconds(20))).isIn(0, 143);
      } finally {
        Command.run(T, "umount", "-l", state.toString()); // -l: even while Turnout holds it
      }
    }
  }

  @Test
  void aDeadUpstreamCostsForwardedQueriesAndDialsOnlyWithinBounds() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      // 203.0.113.53 is on the client's link but no host has it: queries vanish without a reply.
      TurnoutProcess turnout =
          sandbox.startTurnout(
              Sandbox.config("", "  - MATCH,DIRECT").replace("[203.0.113.1]", "[203.0.113.53]"));
      long start = System.nanoTime();
      assertThat(dig(sandbox, "www.example.test")).startsWith("198.18.");
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .as("a fake answer needs no upstream")
          .isLessThan(Duration.ofSeconds(2));

      FdSampler fds = FdSampler.start(turnout);
      // 1,024 at once: past the 256 a server may have in flight, which fail at once
      DnsFlood.Counts flood =
          DnsFlood.Counts.parse(
              sandbox.inClient(
                  Duration.ofSeconds(90), DnsFlood.command(1_024, 16, "dead.test", 1_024)));
      fds.stop();
      assertThat(flood.servfail())
          .as("forwarded queries fail, answered: %s", flood)
          .isEqualTo(1_024);
      assertThat(flood.seconds()).as("in bounded time").isLessThan(60);
      assertThat(fds.max())
          .as("sockets for queries in flight stay bounded (256 a server)")
          .isLessThan(fds.first() + 300);

      Command.Result dial =
          sandbox.inClient(
              T, "curl", "-sS", "--max-time", "25", "-o", "/dev/null", "http://www.example.test/");
      assertThat(dial.exit()).as("the relay cannot resolve the name: %s", dial).isNotZero();
      assertThat(dial.exit()).as("and says so before curl gives up").isNotEqualTo(28);
      assertThat(turnout.isAlive()).isTrue();
      assertThat(turnout.log()).doesNotContain(" ERROR ");
    }
  }

  @Test
  void aSlowUpstreamIsWaitedForWithinTheTimeoutAndRecoveredFrom() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      Path delay = sandbox.file("dns-delay");
      Files.writeString(delay, "0");
      Daemon slow =
          Daemon.startIn(
              sandbox.internet,
              sandbox.file("slow-dns.log"),
              "python3",
              "-u",
              "-c",
              SLOW_DNS,
              delay.toString());
      try {
        slow.awaitLog("ready", Duration.ofSeconds(20));
        TurnoutProcess turnout =
            sandbox.startTurnout(
                Sandbox.config("", "  - MATCH,DIRECT")
                    .replace("[203.0.113.1]", "['203.0.113.1:5300']"));
        assertThat(txt(sandbox, "example.test")).contains("NOERROR");

        // a new name each time: answers are cached
        Files.writeString(delay, "1.2");
        long start = System.nanoTime();
        assertThat(txt(sandbox, "www.example.test")).as("slow but in time").contains("NOERROR");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .isGreaterThan(Duration.ofMillis(1_100));

        Files.writeString(delay, "5"); // past the 2 s upstream timeout
        start = System.nanoTime();
        assertThat(txt(sandbox, "bulk.example.test")).as("too slow").contains("SERVFAIL");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
        start = System.nanoTime();
        assertThat(dig(sandbox, "www.example.test")).startsWith("198.18.");
        assertThat(Duration.ofNanos(System.nanoTime() - start))
            .as("fake answers do not wait for the upstream")
            .isLessThan(Duration.ofSeconds(2));

        Files.writeString(delay, "0");
        Thread.sleep(5_000); // the late replies arrive, and are dropped
        assertThat(txt(sandbox, "real.example.test")).as("recovered").contains("NOERROR");
        assertThat(turnout.isAlive()).isTrue();
        assertThat(turnout.log()).doesNotContain(" ERROR ");
      } finally {
        slow.kill();
      }
    }
  }

  /**
   * A resolver on 203.0.113.1:5300 that asks dnsmasq after waiting as many seconds as the file
   * {@code argv[1]} says, one thread a query (each bounded by its wait and a 5 s upstream timeout).
   */
  private static final String SLOW_DNS =
      """
      import socket, sys, threading, time
      s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
      s.bind(("203.0.113.1", 5300))
      def answer(query, client):
          time.sleep(float(open(sys.argv[1]).read()))
          u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
          u.settimeout(5)
          try:
              u.sendto(query, ("203.0.113.1", 53))
              s.sendto(u.recv(4096), client)
          except OSError:
              pass
          finally:
              u.close()
      print("ready")
      while True:
          query, client = s.recvfrom(4096)
          threading.Thread(target=answer, args=(query, client), daemon=True).start()
      """;

  private static String dig(Sandbox sandbox, String name) throws Exception {
    return sandbox.inClient(T, "dig", "+short", "+tries=1", "+time=10", name).stdout().strip();
  }

  private static String txt(Sandbox sandbox, String name) throws Exception {
    return sandbox.inClient(T, "dig", "+tries=1", "+time=15", "TXT", name).stdout();
  }

  private static Command.Result cleanup(Sandbox sandbox) throws Exception {
    return sandbox.inClient(T, "java", "-jar", Sandbox.JAR.toString(), "cleanup");
  }

  /** Rules, routes, the sysctls Turnout may set, the resolver file and the links of the client. */
  private static String hostState(Sandbox sandbox) throws Exception {
    String sysctls =
        sandbox
            .inClient(T, "sysctl", "-a")
            .stdout()
            .lines()
            .filter(
                l ->
                    l.matches(
                        "net\\.ipv4\\.(ip_forward|conf\\..*\\.(rp_filter|src_valid_mark)) .*"))
            .sorted()
            .collect(Collectors.joining("\n"));
    String links =
        sandbox
            .inClient(T, "ip", "-o", "link", "show")
            .stdout()
            .lines()
            .map(l -> l.split(": ")[1])
            .sorted()
            .collect(Collectors.joining(" "));
    return String.join(
        "\n----\n",
        sandbox.routing(),
        sysctls,
        Files.readString(Path.of("/etc/netns", sandbox.client, "resolv.conf")),
        links);
  }
}
