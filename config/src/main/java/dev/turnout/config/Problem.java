package dev.turnout.config;

import java.util.Objects;

/**
 * One thing wrong with a configuration file: where ({@code file}, 1-based {@code line}, 0 when the
 * problem is the file as a whole), which key ({@code path}, such as {@code dns.nameserver}, empty
 * when none applies) and what.
 */
public record Problem(Severity severity, String file, int line, String path, String message) {
  public Problem {
    Objects.requireNonNull(severity, "severity");
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(message, "message");
    path = path == null ? "" : path;
  }

  /**
   * {@code file:line: path: message}, with {@code warning: } before the path of a warning, as
   * compilers print it; the line is left out when it is 0 and the path when it is empty.
   */
  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(file);
    if (line > 0) {
      s.append(':').append(line);
    }
    s.append(": ");
    if (severity == Severity.WARNING) {
      s.append("warning: ");
    }
    if (!path.isEmpty()) {
      s.append(path).append(": ");
    }
    return s.append(message).toString();
  }
}
