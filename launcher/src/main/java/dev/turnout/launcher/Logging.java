package dev.turnout.launcher;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turnout's use of Logback: the Clash {@code log-level} names, and a flush at exit. */
final class Logging {
  private Logging() {}

  /** Sets the root level from {@code log-level}: silent, error, warning, info or debug. */
  static void setLevel(String level) {
    Level logback =
        switch (level) {
          case "silent" -> Level.OFF;
          case "error" -> Level.ERROR;
          case "warning" -> Level.WARN;
          case "debug" -> Level.DEBUG;
          default -> Level.INFO;
        };
    root().setLevel(logback);
  }

  /** The root level as {@code log-level} names it. */
  static String level() {
    Level level = root().getLevel();
    if (level == null || level.equals(Level.INFO)) {
      return "info";
    }
    if (level.equals(Level.OFF)) {
      return "silent";
    }
    if (level.equals(Level.ERROR)) {
      return "error";
    }
    if (level.equals(Level.WARN)) {
      return "warning";
    }
    return level.isGreaterOrEqual(Level.INFO) ? "info" : "debug";
  }

  static ch.qos.logback.classic.Logger root() {
    return (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME);
  }

  /** Drains the asynchronous appender: no line is lost when the JVM halts. */
  static void stop() {
    ((LoggerContext) LoggerFactory.getILoggerFactory()).stop();
  }
}
