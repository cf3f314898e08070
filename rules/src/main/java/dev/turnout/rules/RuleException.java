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
   * One problem. {@code file} and {@code line} say where (null and 0 when nowhere in a file, line 0
   * for a file as a whole); {@code subject} what it is about when that is more than a rule line
   * ({@code provider ads: entry 17}, {@code geoip databases}; null otherwise); {@code text} the
   * offending line or entry (may be empty); {@code message} what is wrong.
   */
  public record Problem(String file, int line, String subject, String text, String message) {
    /** A problem of the rule written at {@code file:line}. */
    static Problem at(String file, int line, String text, String message) {
      return new Problem(file, line, null, text, message);
    }

    /**
     * {@code config.yaml:42}, {@code provider ads: entry 17 (ads.yaml:19)}, {@code provider ads
     * (config.yaml:7)} or {@code geoip databases}.
     */
    public String where() {
      String place = file == null ? null : line > 0 ? file + ":" + line : file;
      if (subject == null) {
        return place == null ? "" : place;
      }
      return place == null ? subject : subject + " (" + place + ")";
    }

    @Override
    public String toString() {
      return text.isEmpty() ? where() + ": " + message : where() + ": " + message + ": " + text;
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
