package dev.turnout.rules;

import java.util.Objects;

/**
 * One entry of the config's {@code rules:} list with where it came from, e.g. {@code new
 * RuleLine("DOMAIN-SUFFIX,example.com,Proxy", "config.yaml", 42)}. The file and line appear in
 * error messages and in {@link Decision#source()} as {@code config.yaml:42}.
 */
public record RuleLine(String text, String file, int line) {
  public RuleLine {
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(file, "file");
  }

  /** {@code file:line}. */
  public String position() {
    return file + ":" + line;
  }
}
