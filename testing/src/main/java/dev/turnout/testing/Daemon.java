package dev.turnout.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A process a test runs in the background (a server, a Turnout), its stdout and stderr together in
 * a log file, so a failed test can show what it said. Waits are bounded and polled; {@link #kill}
 * ends the process and everything it forked. Not thread-safe: one test drives it.
 */
public class Daemon {
  private final Process process;
  private final Path log;

  /** Wraps a started process whose output goes to {@code log}. */
  public Daemon(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** Starts {@code command} with {@code env} added to this JVM's environment. */
  public static Daemon start(Path log, Map<String, String> env, List<String> command)
      throws IOException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    builder.redirectOutput(log.toFile());
    return new Daemon(builder.start(), log);
  }

  /** Starts {@code command} inside the network namespace {@code namespace}. */
  public static Daemon startIn(String namespace, Path log, String... command) throws IOException {
    return start(log, Map.of(), inNamespace(namespace, List.of(command)));
  }

  /** {@code ip netns exec NAMESPACE command...}: exec()s the command, which keeps the PID. */
  static List<String> inNamespace(String namespace, List<String> command) {
    List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace));
    full.addAll(command);
    return full;
  }

  public Process process() {
    return process;
  }

  /**
   * Everything the process wrote so far. Turnout's log trails what it logs by up to one batch of
   * its log writer (20 ms), so a test that asserts on a line an action just caused waits for it
   * with {@link #awaitLog} first.
   */
  public String log() throws IOException {
    return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
  }

  /**
   * Waits until the log contains {@code text}: how a server says it is ready.
   *
   * @throws IllegalStateException if the process exits first or {@code timeout} passes, with the
   *     log in the message
   */
  public void awaitLog(String text, Duration timeout) throws IOException, InterruptedException {
    awaitLog(log -> log.contains(text), "\"" + text + "\"", timeout);
  }

  /**
   * Waits until some part of the log matches {@code pattern}, as {@link #awaitLog(String,
   * Duration)}.
   */
  public void awaitLog(Pattern pattern, Duration timeout) throws IOException, InterruptedException {
    awaitLog(log -> pattern.matcher(log).find(), "match of /" + pattern + "/", timeout);
  }

  private void awaitLog(Predicate<String> found, String what, Duration timeout)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (found.test(log())) {
        return;
      }
      if (!process.isAlive()) {
        throw new IllegalStateException(
            process.info().command().orElse("the process")
                + " exited "
                + process.exitValue()
                + ":\n"
                + log());
      }
      Thread.sleep(50);
    }
    throw new IllegalStateException("no " + what + " within " + timeout + ":\n" + log());
  }

  /** Sends SIGTERM and waits for the exit status. */
  public int terminate(Duration timeout) throws IOException, InterruptedException {
    process.destroy();
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new IllegalStateException("did not exit after SIGTERM:\n" + log());
    }
    return process.exitValue();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL to the process and what it forked; waits up to 10 s for it to go. */
  public void kill() throws InterruptedException {
    kill(process);
  }

  /** As {@link #kill()}, for a process started elsewhere. */
  public static void kill(Process process) throws InterruptedException {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
  }
}
