package dev.turnout.launcher.config;

import dev.turnout.config.Problem;
import dev.turnout.config.Problems;
import java.util.List;

/**
 * A configuration that cannot be used. Each problem is one line of the form {@code file:line: key:
 * what is wrong}, so that {@code turnout check} can print all of them at once.
 */
public final class ConfigException extends Exception {
  private final List<String> problems;

  public ConfigException(List<String> problems) {
    super(String.join("\n", problems));
    this.problems = List.copyOf(problems);
  }

  /** The errors among {@code problems}, sorted by file and line. */
  public static ConfigException of(Problems problems) {
    return new ConfigException(problems.errors().stream().map(Problem::toString).toList());
  }

  public List<String> problems() {
    return problems;
  }
}
