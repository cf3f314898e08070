package dev.turnout.rules;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The rules or rule providers cannot be loaded. Carries every problem found, not just the first, so
 * that {@code turnout check} can print them all; the message lists them one per line.
 */
public final class RuleException extends Exception {
  private static final long serialVersionUID = 1L;

  /**
   * One problem: {@code where} is {@code config.yaml:42} or {@code provider ads: entry 17
   * (ads.yaml:19)}, {@code text} the offending line or entry (may be empty), {@code message} what
   * is wrong.
   */
  public record Problem(String where, String text, String message) {
    @Override
    public String toString() {
      return text.isEmpty() ? where + ": " + message : where + ": " + message + ": " + text;
    }
  }

  private final transient List<Problem> problems;

  RuleException(List<Problem> problems) {
    super(problems.stream().map(Problem::toString).collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  /** All problems found, in the order of the config. */
  public List<Problem> problems() {
    return problems;
  }
}
