package dev.turnout.launcher.it;

import dev.turnout.testing.Command;
import dev.turnout.testing.Daemon;
import dev.turnout.testing.Sandbox;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Many concurrent downloads of one of the sandbox's files inside its client namespace, half from
 * {@code www.example.test} and half from {@code bulk.example.test}, each rate-limited so that every
 * connection stays open for about {@code seconds}: curl processes of at most 300 transfers each
 * (curl's limit), all started at once. {@link #await} says, per download, whether curl reported
 * success and whether the bytes are nginx's file (SHA-256); the files are deleted once hashed. Not
 * thread-safe.
 */
final class LoadRun {
  static final String DIRECT_HOST = "www.example.test";
  static final String PROXY_HOST = "bulk.example.test";
  private static final int PER_CURL = 300;

  /** One download: which host, curl's exit code for it (-1: not reported), intact bytes or not. */
  record Download(int index, String host, int exit, boolean intact) {
    boolean ok() {
      return exit == 0 && intact;
    }
  }

  private final Sandbox sandbox;
  private final Path dir;
  private final String file;
  private final int connections;
  private final List<Daemon> curls = new ArrayList<>();
  private final Pattern line; // curl's -w line for one download

  private LoadRun(Sandbox sandbox, Path dir, String file, int connections) {
    this.sandbox = sandbox;
    this.dir = dir;
    this.file = file;
    this.connections = connections;
    this.line =
        Pattern.compile("(?<![0-9])(\\d+) " + Pattern.quote(dir + "/d") + "(\\d+)(?![0-9])");
  }

  /** Starts {@code connections} downloads of 256k.bin that each take about {@code seconds}. */
  static LoadRun start(Sandbox sandbox, int connections, int seconds) throws IOException {
    return start(sandbox, connections, seconds, "256k.bin");
  }

  /**
   * Starts {@code connections} downloads of {@code www/FILE} that each take about {@code seconds}.
   */
  static LoadRun start(Sandbox sandbox, int connections, int seconds, String file)
      throws IOException {
    return start(sandbox, connections, seconds, file, seconds * 3 + 30);
  }

  /** As above; curl gives up on a download after {@code maxSeconds}. */
  static LoadRun start(Sandbox sandbox, int connections, int seconds, String file, int maxSeconds)
      throws IOException {
    Path dir = Files.createTempDirectory(sandbox.dir, "load");
    LoadRun run = new LoadRun(sandbox, dir, file, connections);
    long rate = Math.max(1, Files.size(sandbox.file("www/" + file)) / seconds);
    for (int first = 0; first < connections; first += PER_CURL) {
      int last = Math.min(connections, first + PER_CURL);
      List<String> command =
          new ArrayList<>(
              List.of(
                  "curl",
                  "-sS",
                  "--no-progress-meter",
                  "--fail",
                  "--parallel",
                  "--parallel-immediate",
                  "--parallel-max",
                  Integer.toString(PER_CURL),
                  "--limit-rate",
                  Long.toString(rate),
                  "--max-time",
                  Integer.toString(maxSeconds),
                  "--stderr",
                  dir.resolve("curl-" + first + ".err").toString(),
                  "-w",
                  "%{exitcode} %{filename_effective}\\n"));
      for (int i = first; i < last; i++) {
        command.addAll(List.of("-o", dir.resolve("d" + i).toString(), url(i, file)));
      }
      run.curls.add(
          Daemon.startIn(
              sandbox.client,
              dir.resolve("curl-" + first + ".log"),
              command.toArray(String[]::new)));
    }
    return run;
  }

  /**
   * Small TCP buffers in the sandbox's namespaces, for tests that cut streams mid-way: with Linux's
   * defaults (up to 6 MiB a socket) a stream of several MiB can be wholly in buffers past the point
   * of the cut before it happens, and then completes.
   */
  static void smallSocketBuffers(Sandbox sandbox) throws Exception {
    for (String namespace : List.of(sandbox.client, sandbox.internet)) {
      Command.check(
          Duration.ofSeconds(10),
          List.of(
              "ip",
              "netns",
              "exec",
              namespace,
              "sysctl",
              "-q",
              "-w",
              "net.ipv4.tcp_rmem=4096 65536 262144",
              "net.ipv4.tcp_wmem=4096 65536 262144"));
    }
  }

  /** The host download {@code i} asks: even ones DIRECT, odd ones the proxy. */
  static String host(int i) {
    return i % 2 == 0 ? DIRECT_HOST : PROXY_HOST;
  }

  private static String url(int i, String file) {
    return "http://" + host(i) + "/" + file;
  }

  /** Waits for every curl (killing what outlasts {@code timeout}) and checks every download. */
  List<Download> await(Duration timeout)
      throws IOException, InterruptedException, NoSuchAlgorithmException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Map<Integer, Integer> exits = new HashMap<>();
    for (Daemon curl : curls) {
      long left = Math.max(0, deadline - System.nanoTime());
      if (!curl.process().waitFor(left, TimeUnit.NANOSECONDS)) {
        curl.kill();
      }
      Matcher m = line.matcher(curl.log());
      while (m.find()) {
        exits.put(Integer.parseInt(m.group(2)), Integer.parseInt(m.group(1)));
      }
    }
    String expected = Sandbox.sha256(sandbox.file("www/" + file));
    List<Download> downloads = new ArrayList<>();
    for (int i = 0; i < connections; i++) {
      Path got = dir.resolve("d" + i);
      boolean intact = Files.exists(got) && Sandbox.sha256(got).equals(expected);
      Files.deleteIfExists(got);
      downloads.add(new Download(i, host(i), exits.getOrDefault(i, -1), intact));
    }
    return downloads;
  }

  /** What the curls wrote besides the per-download lines: their error messages. */
  String errors() throws IOException {
    StringBuilder out = new StringBuilder();
    for (int first = 0; first < connections; first += PER_CURL) {
      Path err = dir.resolve("curl-" + first + ".err");
      if (Files.exists(err)) {
        out.append(Files.readString(err));
      }
    }
    return out.toString().strip();
  }
}
