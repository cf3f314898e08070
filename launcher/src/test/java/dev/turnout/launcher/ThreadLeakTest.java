package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, defect 6: each config parse leaked a {@code turnout-dns-io} thread. {@code check} and
 * {@code explain}, run again and again in one JVM (a controller reloading, a test suite), leave no
 * thread behind.
 */
class ThreadLeakTest {
  @TempDir Path dir;

  @Test
  void checkAndExplainLeaveNoThreadBehind() throws Exception {
    Path file = dir.resolve("config.yaml");
    Files.writeString(
        file,
        String.join(
            "\n",
            "dns:",
            "  nameserver: [198.51.100.53]",
            "  fallback: [tls://198.51.100.54]",
            "proxies:",
            "  - {name: s, type: socks5, server: 198.51.100.9, port: 1080}",
            "rules:",
            "  - DOMAIN-SUFFIX,example.com,s",
            "  - MATCH,DIRECT",
            ""));
    run("check", "-c", file.toString());
    run("explain", "-c", file.toString(), "203.0.113.5:443");
    Thread.sleep(3000);
    System.gc();
    Thread.sleep(500);
    Map<String, Integer> before = threads();
    for (int i = 0; i < 5; i++) {
      run("check", "-c", file.toString());
      run("explain", "-c", file.toString(), "203.0.113.5:443");
    }
    Thread.sleep(3000); // event loops shut down gracefully in the background
    System.gc(); // the JDK HTTP client stops its thread once unreachable
    Thread.sleep(500);
    assertThat(threads()).isEqualTo(before);
  }

  private static Map<String, Integer> threads() {
    Map<String, Integer> byName = new TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive()) {
        byName.merge(t.getName().replaceAll("[0-9]+", "#"), 1, Integer::sum);
      }
    }
    return byName;
  }

  private static void run(String... args) {
    PrintStream saved = System.err;
    System.setErr(new PrintStream(new ByteArrayOutputStream(), true));
    try {
      var cli = Main.commandLine();
      cli.setOut(new PrintWriter(new StringWriter()));
      cli.execute(args);
    } finally {
      System.setErr(saved);
    }
  }
}
