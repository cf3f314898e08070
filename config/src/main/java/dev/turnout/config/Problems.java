package dev.turnout.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Collects the problems of one configuration and of the files it names (rule and proxy providers),
 * so that they can be shown all at once. Readers record a problem and go on with a default instead
 * of throwing. Not thread-safe: one reading thread owns it.
 */
public final class Problems {
  private final String mainFile;
  private final List<Problem> problems = new ArrayList<>();

  /** {@code mainFile} is the configuration itself; its problems are listed first. */
  public Problems(String mainFile) {
    this.mainFile = mainFile;
  }

  /** The configuration file these problems are mainly about. */
  public String file() {
    return mainFile;
  }

  public void add(Problem problem) {
    problems.add(problem);
  }

  public void add(Severity severity, String file, int line, String path, String message) {
    add(new Problem(severity, file, line, path, message));
  }

  /** An error at the node {@code at}, about the key {@code path}. */
  public void error(YamlNode at, String path, String message) {
    add(Severity.ERROR, at.file(), at.line(), path, message);
  }

  /** A warning at the node {@code at}, about the key {@code path}. */
  public void warning(YamlNode at, String path, String message) {
    add(Severity.WARNING, at.file(), at.line(), path, message);
  }

  /**
   * Every problem: the main file's first, then the other files by name, each by line (problems on
   * one line in the order they were found).
   */
  public List<Problem> sorted() {
    List<Problem> out = new ArrayList<>(problems);
    out.sort(
        Comparator.comparing((Problem p) -> !p.file().equals(mainFile))
            .thenComparing(Problem::file)
            .thenComparingInt(Problem::line));
    return out;
  }

  /** The errors only, sorted as {@link #sorted()}. */
  public List<Problem> errors() {
    return sorted().stream().filter(p -> p.severity() == Severity.ERROR).toList();
  }

  public boolean isEmpty() {
    return problems.isEmpty();
  }

  public boolean hasErrors() {
    return errorCount() > 0;
  }

  public int errorCount() {
    return (int) problems.stream().filter(p -> p.severity() == Severity.ERROR).count();
  }

  public int warningCount() {
    return problems.size() - errorCount();
  }

  /** For example {@code 3 errors, 1 warning}. */
  public String summary() {
    return count(errorCount(), "error") + ", " + count(warningCount(), "warning");
  }

  private static String count(int n, String what) {
    return n + " " + what + (n == 1 ? "" : "s");
  }
}
