package dev.turnout.hostnet;

import java.io.IOException;
import java.util.List;

/**
 * Runs host commands ({@code ip}, {@code sysctl}, {@code resolvectl}). An interface so that the
 * journal logic is tested with a recording fake, and so that the real runner can be pointed at a
 * network namespace ({@link ProcessCommands#inNamespace}) by tests.
 *
 * <p>Implementations are thread-safe.
 */
public interface Commands {
  /** The outcome of a finished command. */
  record Result(int exit, String stdout, String stderr) {}

  /**
   * Runs {@code argv} and waits for it.
   *
   * @throws IOException if it cannot be started or times out; a non-zero exit is a {@link Result}
   */
  Result run(List<String> argv) throws IOException;

  /**
   * Runs {@code argv} and requires success.
   *
   * @throws IOException naming the command and its stderr if it exits non-zero
   */
  default String check(List<String> argv) throws IOException {
    Result result = run(argv);
    if (result.exit() != 0) {
      throw new IOException(
          "`"
              + String.join(" ", argv)
              + "` failed (exit "
              + result.exit()
              + "): "
              + result.stderr().strip());
    }
    return result.stdout();
  }
}
