package dev.turnout.launcher.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.testing.Command;
import dev.turnout.testing.Sandbox;
import dev.turnout.testing.TurnoutProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Out of file descriptors (issue 14): a running Turnout's soft RLIMIT_NOFILE is lowered to a few
 * dozen above what it has open (prlimit; lowering needs no privilege, and the hard limit stays, so
 * the soft one can go back up) while 20 large downloads are relayed, then hundreds more start at
 * once: accepts, dials and the splice relay's duplicates run out. The running downloads go on; a
 * new one that completes is intact, the others fail cleanly; Turnout stays up without a storm of
 * log lines; with the limit back everything works again. (New pipes are rarely needed here: empty
 * ones go back to the relay's pool; {@code SpliceDescriptorsTest} runs out of them on purpose.)
 */
class DescriptorLimitIT {
  private static final Duration T = Duration.ofSeconds(30);
  private static final int HEADROOM = 40;
  private static final int DOWNLOADS = 200;

  @Test
  void outOfDescriptorsConnectionsFailCleanlyAndAllWorkAgainWithDescriptorsBack() throws Exception {
    try (Sandbox sandbox = Sandbox.create()) {
      // Relayed, each connection with its sockets and pipes: the kernel would forward these.
      TurnoutProcess turnout =
          sandbox.startTurnout(
              Sandbox.config("", "  - MATCH,DIRECT")
                  .replace("  device: turnout0\n", "  device: turnout0\n  direct-nat: false\n"));
      // Every path used once before the limit: what it loads is there already. One download
      // leaves few pipes in the splice relay's pool, so new ones are needed under the limit.
      sandbox.assertParallelDownloadsIntact(1, "http://www.example.test/256k.bin", "256k.bin");
      long pid = turnout.process().pid();
      String hard = hardLimit(pid);
      int linesBefore = turnout.log().split("\n").length;
      // Small socket buffers and large files: each running connection keeps a pipe full for
      // seconds, so the connections of the flood need new pipes under the limit.
      LoadRun.smallSocketBuffers(sandbox);
      LoadRun running = LoadRun.start(sandbox, 20, 8, "10m.bin", 40);
      Thread.sleep(1_500); // relaying when the limit comes
      int open = openDescriptors(pid);

      limit(pid, Integer.toString(open + HEADROOM), hard);
      List<LoadRun.Download> before;
      List<LoadRun.Download> downloads;
      try {
        LoadRun flood = LoadRun.start(sandbox, DOWNLOADS, 4, "256k.bin", 25);
        before = running.await(Duration.ofSeconds(90));
        downloads = flood.await(Duration.ofSeconds(90));
      } finally {
        limit(pid, hard, hard);
      }
      assertThat(before.stream().filter(d -> !d.ok()).toList())
          .as("connections relayed before the limit go on; curl said: %s", running.errors())
          .isEmpty();

      long completed = downloads.stream().filter(d -> d.exit() == 0).count();
      String during = String.join("\n", tail(turnout.log(), linesBefore));
      System.out.printf(
          "DescriptorLimitIT: %d open, limit %d: %d of %d downloads completed; %d log lines,"
              + " %d 'Too many open files', %d without a pipe, %d accept pauses%n",
          open,
          open + HEADROOM,
          completed,
          DOWNLOADS,
          during.lines().count(),
          count(during, "Too many open files"),
          count(during, "no pipe for a spliced connection"),
          count(during, "accepting a connection failed"));
      during
          .lines()
          .map(l -> l.replaceFirst("^\\S+ ", "").replaceAll("[0-9a-f]*[0-9][0-9a-f:.]*", "#"))
          .map(l -> l.substring(0, Math.min(l.length(), 120)))
          .collect(Collectors.groupingBy(l -> l, Collectors.counting()))
          .entrySet()
          .stream()
          .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
          .limit(12)
          .forEach(
              e ->
                  System.out.println(
                      "DescriptorLimitIT log: " + e.getValue() + " x " + e.getKey()));
      assertThat(during).as("the limit was reached").contains("Too many open files");
      assertThat(downloads.stream().filter(d -> d.exit() == 0 && !d.intact()).toList())
          .as("a download reported complete is intact: failures are clean")
          .isEmpty();
      assertThat(completed).as("connections within the limit went through").isPositive();
      assertThat(turnout.isAlive()).isTrue();
      assertThat(during).doesNotContain(" ERROR ");
      assertThat(during.lines().count()).as("log lines while out of descriptors").isLessThan(600);

      // Descriptors back: everything works again, nothing stuck paused or half-open.
      sandbox.assertParallelDownloadsIntact(50, "http://www.example.test/256k.bin", "256k.bin");
      Command.Result one =
          sandbox.inClient(
              T, "curl", "-sS", "--fail", "-o", "/dev/null", "http://bulk.example.test/");
      assertThat(one.exit()).as("%s", one).isZero();
      assertThat(openDescriptors(pid))
          .as("the connections of the load are all closed")
          .isLessThan(open + HEADROOM);
      assertThat(turnout.log()).doesNotContain(" ERROR ");
    }
  }

  private static void limit(long pid, String soft, String hard) throws Exception {
    Command.check(
        Duration.ofSeconds(10),
        List.of("prlimit", "--pid", Long.toString(pid), "--nofile=" + soft + ":" + hard));
  }

  private static String hardLimit(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/limits"))) {
      if (line.startsWith("Max open files")) {
        return line.trim().split("\\s+")[4];
      }
    }
    throw new IllegalStateException("no open-files limit for " + pid);
  }

  private static int openDescriptors(long pid) throws Exception {
    try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
      return (int) fds.count();
    }
  }

  private static List<String> tail(String log, int from) {
    List<String> lines = List.of(log.split("\n"));
    return lines.subList(Math.min(from, lines.size()), lines.size());
  }

  private static long count(String text, String what) {
    return text.lines().filter(l -> l.contains(what)).count();
  }
}
