package dev.turnout.launcher.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/** A Turnout started by a test, with its combined output in a log file. */
final class TurnoutProcess {
  private final Process process;
  private final Path log;

  TurnoutProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  String log() throws IOException {
    return Files.readString(log, StandardCharsets.UTF_8);
  }

  void awaitLog(String text, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (log().contains(text)) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException("turnout exited " + process.exitValue() + ":\n" + log());
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no \"" + text + "\" within " + timeout + ":\n" + log());
  }

  /** Sends SIGTERM to the JVM (not to `ip netns exec`, which exec()s it anyway) and waits. */
  int terminate(Duration timeout) throws Exception {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("turnout did not exit after SIGTERM:\n" + log());
    }
    return process.exitValue();
  }

  /** Sends a signal ({@code HUP}, say) to the JVM. */
  void signal(String name) throws Exception {
    Sandbox.Result r =
        Sandbox.run(Duration.ofSeconds(10), "kill", "-" + name, Long.toString(process.pid()));
    if (r.exit() != 0) {
      throw new IllegalStateException("kill -" + name + " failed: " + r);
    }
  }

  /** The number of times {@code text} occurs in the log so far. */
  int count(String text) throws IOException {
    String log = log();
    int n = 0;
    for (int i = log.indexOf(text); i >= 0; i = log.indexOf(text, i + 1)) {
      n++;
    }
    return n;
  }

  boolean isAlive() {
    return process.isAlive();
  }

  void kill() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
