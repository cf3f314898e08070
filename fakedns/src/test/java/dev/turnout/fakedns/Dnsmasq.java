package dev.turnout.fakedns;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.Closeable;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;
import org.xbill.DNS.Type;

/**
 * A real dnsmasq on 127.0.0.1 (UDP and TCP on a free port) with static records, for interop tests;
 * the test is skipped where dnsmasq is not installed. Closing stops it.
 */
final class Dnsmasq implements Closeable {
  private static final Path BINARY = Path.of("/usr/sbin/dnsmasq");

  final int port;
  private final Process process;

  /**
   * @param options extra dnsmasq options, e.g. {@code --host-record=web.example.test,...}
   */
  Dnsmasq(String... options) throws Exception {
    assumeTrue(Files.isExecutable(BINARY), "dnsmasq not installed");
    port = freePort();
    List<String> command =
        new ArrayList<>(
            List.of(
                BINARY.toString(),
                "--no-daemon",
                "--conf-file=/dev/null",
                "--no-resolv",
                "--no-hosts",
                "--port=" + port,
                "--listen-address=127.0.0.1",
                "--bind-interfaces"));
    command.addAll(List.of(options));
    process =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    awaitAnswers("tcp://127.0.0.1:" + port);
  }

  /** A free UDP port on loopback (also free for TCP in practice: nothing else binds here). */
  static int freePort() throws Exception {
    try (DatagramSocket s =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      return s.getLocalPort();
    }
  }

  /** Waits until {@code spec} answers a query, for at most 5 s (a process starting up). */
  static void awaitAnswers(String spec) throws Exception {
    try (Upstream probe =
        Upstream.builder(List.of(spec)).timeout(Duration.ofSeconds(1)).cacheSize(0).build()) {
      awaitAnswers(probe);
    }
  }

  /** Waits until {@code probe} gets an answer, for at most 5 s (a process starting up). */
  static void awaitAnswers(Upstream probe) throws Exception {
    Message q =
        Message.newQuery(Record.newRecord(Name.fromString("probe.test."), Type.A, DClass.IN));
    for (int i = 0; i < 50; i++) {
      try {
        probe.query(q).get(1, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        Thread.sleep(100); // process start-up, not a protocol timeout
      }
    }
    throw new AssertionError(probe + " did not come up");
  }

  String address() {
    return "127.0.0.1:" + port;
  }

  @Override
  public void close() {
    stop(process);
  }

  /** Stops a server process this test started, waiting for it at most 5 s. */
  static void stop(Process process) {
    process.destroy();
    try {
      process.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
