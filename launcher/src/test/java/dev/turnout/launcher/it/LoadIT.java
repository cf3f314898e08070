package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import dev.turnout.testing.UdpEcho;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Load, nothing lost (issue 14): many concurrent connections through Turnout, half DIRECT and half
 * through a real dante SOCKS5 server (a fallback group ahead of DIRECT), every stream's bytes
 * checked, with UDP beside them; then the same with dante killed mid-run. In CI a few hundred
 * connections held open for about 10 s; {@code bench/load.sh} runs 10,000 for 60 s through {@code
 * -Dturnout.load.connections} and {@code -Dturnout.load.seconds}. Turnout runs with a bounded heap
 * and direct memory and Netty's paranoid leak detector.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LoadIT {
  private static final int CONNECTIONS = Integer.getInteger("turnout.load.connections", 300);
  private static final int SECONDS = Integer.getInteger("turnout.load.seconds", 10);
  private static final int LARGE = 10;
  private static final Duration SLACK = Duration.ofSeconds(SECONDS * 3L + 60);
  private static final long MAX_RSS_KIB = 768 * 1024; // a 256 MiB heap and 256 MiB direct memory

  private static Sandbox sandbox;
  private static TurnoutProcess turnout;

  @BeforeAll
  static void start() throws Exception {
    sandbox = Sandbox.create();
    sandbox.startServer("socks");
    Command.Result sysctl =
        sandbox.inClient(
            Duration.ofSeconds(10),
            "sysctl",
            "-q",
            "-w",
            "net.ipv4.ip_local_port_range=1024 65535",
            "net.ipv4.tcp_tw_reuse=1");
    assertThat(sysctl.exit()).as("%s", sysctl).isZero();
    turnout =
        sandbox.startTurnout(
            Sandbox.config("", "  - DOMAIN-SUFFIX,bulk.example.test,Proxy\n  - MATCH,DIRECT")
                + "state-dir: "
                + sandbox.file("state")
                + "\nproxies:\n"
                + "  - {name: dante, type: socks5, server: 203.0.113.1, port: 1080, udp: true}\n"
                + "proxy-groups:\n"
                + "  - {name: Proxy, type: fallback, proxies: [dante, DIRECT],"
                + " url: 'http://www.example.test/index.html', interval: 3, lazy: false}\n",
            jvmOptions());
  }

  /**
   * A bounded heap and direct memory, and Netty's paranoid leak detector, which records a stack
   * trace for every buffer: fine for a few hundred connections; {@code bench/load.sh} adds {@code
   * -Dturnout.load.jvm} options after these (a later option wins) for thousands.
   */
  private static List<String> jvmOptions() {
    List<String> options =
        new ArrayList<>(
            List.of(
                "-Xmx256m",
                "-XX:MaxDirectMemorySize=256m",
                "-Dio.netty.leakDetection.level=paranoid"));
    String more = System.getProperty("turnout.load.jvm", "").strip();
    if (!more.isEmpty()) {
      options.addAll(List.of(more.split("\\s+")));
    }
    return options;
  }

  @AfterAll
  static void stop() throws Exception {
    if (sandbox != null) {
      sandbox.close();
    }
  }

  @Test
  @Order(1)
  void everyStreamArrivesIntactHalfDirectHalfThroughDante() throws Exception {
    int danteBefore = danteConnects();
    Process echo = UdpEcho.startServer(sandbox);
    try {
      CompletableFuture<Command.Result> udp =
          CompletableFuture.supplyAsync(
              () -> udpClient(LoadRun.DIRECT_HOST)); // beside the TCP load
      LoadRun run = LoadRun.start(sandbox, CONNECTIONS, SECONDS);
      List<LoadRun.Download> downloads = run.await(SLACK);

      List<LoadRun.Download> bad = downloads.stream().filter(d -> !d.ok()).toList();
      assertThat(bad).as("lost or corrupt streams; curl said: %s", run.errors()).isEmpty();
      assertThat(danteConnects() - danteBefore)
          .as("the proxy half went through dante")
          .isGreaterThanOrEqualTo(CONNECTIONS / 2);
      Command.Result datagrams = udp.join();
      assertThat(datagrams.stdout()).as("%s", datagrams).contains("echoed 1000 bad 0");
    } finally {
      echo.destroyForcibly().waitFor();
    }
    assertThat(turnout.isAlive()).isTrue();
    assertThat(rssKib()).as("resident memory, KiB").isLessThan(MAX_RSS_KIB);
    assertCleanLog();
  }

  @Test
  @Order(2)
  void aProxyKilledMidRunFailsItsOwnStreamsOnlyAndTheGroupFailsOverAndBack() throws Exception {
    LoadRun.smallSocketBuffers(sandbox);
    LoadRun run = LoadRun.start(sandbox, CONNECTIONS, SECONDS);
    LoadRun large = LoadRun.start(sandbox, LARGE, SECONDS, "10m.bin");
    Thread.sleep(SECONDS * 1000L / 3);
    killDante();
    List<LoadRun.Download> downloads = new ArrayList<>(run.await(SLACK));
    downloads.addAll(large.await(SLACK));

    List<LoadRun.Download> direct =
        downloads.stream().filter(d -> d.host().equals(LoadRun.DIRECT_HOST)).toList();
    List<LoadRun.Download> proxied =
        downloads.stream().filter(d -> d.host().equals(LoadRun.PROXY_HOST)).toList();
    assertThat(direct.stream().filter(d -> !d.ok()).toList())
        .as("DIRECT streams are untouched; curl said: %s %s", run.errors(), large.errors())
        .isEmpty();
    assertThat(downloads.stream().filter(d -> d.exit() == 0 && !d.intact()).toList())
        .as("a stream reported complete is intact: failures are clean")
        .isEmpty();
    assertThat(proxied.stream().filter(d -> d.exit() != 0).count())
        .as("streams through the killed proxy failed")
        .isPositive();

    turnout.awaitLog("dead: ", Duration.ofSeconds(15));
    sandbox.assertParallelDownloadsIntact(20, "http://bulk.example.test/256k.bin", "256k.bin");

    sandbox.startServer("socks");
    turnout.awaitLog("alive again", Duration.ofSeconds(15));
    int before = danteConnects();
    sandbox.assertParallelDownloadsIntact(20, "http://bulk.example.test/256k.bin", "256k.bin");
    assertThat(danteConnects() - before).as("back through dante").isGreaterThanOrEqualTo(20);
    assertThat(turnout.isAlive()).isTrue();
    assertCleanLog();
  }

  private static Command.Result udpClient(String host) {
    try {
      return sandbox.inClient(Duration.ofSeconds(60), "python3", "-c", UdpEcho.client(host));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** SIGKILL to the running dante and every process it forked, by their ids. */
  private static void killDante() throws Exception {
    Path pidFile = sandbox.file("danted.pid");
    long pid = Long.parseLong(Files.readString(pidFile).strip());
    ProcessHandle mother = ProcessHandle.of(pid).orElseThrow();
    List<ProcessHandle> children = mother.descendants().toList();
    mother.destroyForcibly();
    children.forEach(ProcessHandle::destroyForcibly);
    mother.onExit().get();
    Files.delete(pidFile);
  }

  private static int danteConnects() throws Exception {
    Path log = sandbox.file("danted.log");
    if (!Files.exists(log)) {
      return 0;
    }
    // one line a connection (the group's health checks through dante count too)
    return (int)
        Files.readString(log).lines().filter(l -> l.contains("pass(1): tcp/connect")).count();
  }

  private static long rssKib() throws Exception {
    long pid = turnout.process().pid();
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
      }
    }
    throw new IllegalStateException("no VmRSS for " + pid);
  }

  /** No error line and no leak report in Turnout's log. */
  private static void assertCleanLog() throws Exception {
    String log = turnout.log();
    assertThat(log).doesNotContain(" ERROR ").doesNotContain("LEAK:");
  }
}
