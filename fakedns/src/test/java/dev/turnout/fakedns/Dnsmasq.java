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
 * the test is skipped where dnsmasq is not installed. A port taken between choosing it and dnsmasq
 * binding it costs a restart on a fresh port, not the test. Closing stops it.
 */
final class Dnsmasq implements Closeable {
  private static final Path BINARY = Path.of("/usr/sbin/dnsmasq");
  private static final int ATTEMPTS = 3;

  final int port;
  private final Process process;

  /**
   * @param options extra dnsmasq options, e.g. {@code --host-record=web.example.test,...}
   */
  Dnsmasq(String... options) throws Exception {
    assumeTrue(Files.isExecutable(BINARY), "dnsmasq not installed");
    for (int attempt = 1; ; attempt++) {
      int chosen = freePort();
      List<String> command =
          new ArrayList<>(
              List.of(
                  BINARY.toString(),
                  "--no-daemon",
                  "--conf-file=/dev/null",
                  "--no-resolv",
                  "--no-hosts",
                  "--port=" + chosen,
                  "--listen-address=127.0.0.1",
                  "--bind-interfaces"));
      command.addAll(List.of(options));
      Process started =
          new ProcessBuilder(command)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .start();
      try {
        awaitAnswers("tcp://127.0.0.1:" + chosen, started);
      } catch (AssertionError e) {
        stop(started);
        // dnsmasq exits at once when the port, free for UDP when chosen, is taken for TCP
        if (attempt < ATTEMPTS && !e.getMessage().contains("did not come up")) {
          continue;
        }
        throw e;
      }
      port = chosen;
      process = started;
      return;
    }
  }

  /** A free UDP port on loopback (also free for TCP in practice: nothing else binds here). */
  static int freePort() throws Exception {
    try (DatagramSocket s =
        new DatagramSocket(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))) {
      return s.getLocalPort();
    }
  }

  /** Waits until {@code spec} answers a query, for at most 10 s (a process starting up). */
  static void awaitAnswers(String spec) throws Exception {
    awaitAnswers(spec, null);
  }

  private static void awaitAnswers(String spec, Process process) throws Exception {
    try (Upstream probe =
        Upstream.builder(List.of(spec)).timeout(Duration.ofSeconds(1)).cacheSize(0).build()) {
      awaitAnswers(probe, process);
    }
  }

  /**
   * Waits until {@code probe} gets an answer, for at most 10 s: a process starting up, and a first
   * TLS handshake in this JVM, on a machine that may be busy with other builds.
   */
  static void awaitAnswers(Upstream probe) throws Exception {
    awaitAnswers(probe, null);
  }

  /**
   * As {@link #awaitAnswers(Upstream)}, giving up at once when {@code process} (if not null) has
   * exited; the error names the last failure.
   */
  private static void awaitAnswers(Upstream probe, Process process) throws Exception {
    Message q =
        Message.newQuery(Record.newRecord(Name.fromString("probe.test."), Type.A, DClass.IN));
    Exception last = null;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (process != null && !process.isAlive()) {
        throw new AssertionError(probe + " exited " + process.exitValue(), last);
      }
      try {
        probe.query(q).get(1, TimeUnit.SECONDS);
        return;
      } catch (Exception e) {
        last = e;
        Thread.sleep(100); // process start-up, not a protocol timeout
      }
    }
    throw new AssertionError(probe + " did not come up", last);
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
