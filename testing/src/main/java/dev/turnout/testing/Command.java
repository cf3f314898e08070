package dev.turnout.testing;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a command to completion with a time limit and its output captured. Output goes to temporary
 * files, not pipes, so a command that writes a lot never blocks on a full pipe; stdin is {@code
 * /dev/null}, so a command that reads it never waits for a test. A command still running at its
 * limit is killed with everything it started. Thread-safe (no shared state).
 */
public final class Command {
  /** The limit of {@link #check}: generous for {@code ip}, {@code tc} and the like. */
  public static final Duration CHECK_TIMEOUT = Duration.ofSeconds(30);

  private Command() {}

  /** How a command ended: its exit status and what it wrote to stdout and stderr. */
  public record Result(int exit, String stdout, String stderr) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout: " + stdout + "\nstderr: " + stderr;
    }
  }

  /**
   * Runs {@code command} and returns how it ended, whatever its exit status.
   *
   * @throws IllegalStateException if it is still running after {@code timeout} (it is killed)
   */
  public static Result run(Duration timeout, String... command)
      throws IOException, InterruptedException {
    return run(timeout, List.of(command));
  }

  /** As {@link #run(Duration, String...)}. */
  public static Result run(Duration timeout, List<String> command)
      throws IOException, InterruptedException {
    Path out = Files.createTempFile("turnout-test-out", ".txt");
    Path err = Files.createTempFile("turnout-test-err", ".txt");
    try {
      Process process =
          new ProcessBuilder(command)
              .redirectOutput(out.toFile())
              .redirectError(err.toFile())
              .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
              .start();
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly().waitFor();
        throw new IllegalStateException(
            "timed out after " + timeout + ": " + String.join(" ", command));
      }
      return new Result(
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /**
   * Runs {@code command} within {@link #CHECK_TIMEOUT} and returns its stdout.
   *
   * @throws IOException if it exits non-zero, with its output in the message
   */
  public static String check(String... command) throws IOException, InterruptedException {
    return check(CHECK_TIMEOUT, List.of(command));
  }

  /** As {@link #check(String...)} with a limit of its own. */
  public static String check(Duration timeout, List<String> command)
      throws IOException, InterruptedException {
    Result result = run(timeout, command);
    if (result.exit() != 0) {
      throw new IOException(String.join(" ", command) + " failed: " + result);
    }
    return result.stdout();
  }
}
