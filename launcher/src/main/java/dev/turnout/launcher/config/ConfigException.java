package dev.turnout.launcher.config;

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

  public List<String> problems() {
    return problems;
  }
}
