package dev.turnout.launcher;

import java.util.Locale;

/**
 * Clash's {@code mode}, switchable while Turnout runs (the dashboards' mode buttons): {@code rule}
 * lets the rules decide, {@code global} sends every new connection to the GLOBAL group, {@code
 * direct} sends it DIRECT. Open connections keep their route. Thread-safe: one volatile field, read
 * once per new flow.
 */
final class RoutingMode {
  enum Mode {
    RULE,
    GLOBAL,
    DIRECT;

    /** The lower-case name used in configurations and by the API. */
    String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Mode of(String label) {
      return valueOf(label.toUpperCase(Locale.ROOT));
    }
  }

  private volatile Mode mode;

  RoutingMode(Mode mode) {
    this.mode = mode;
  }

  Mode get() {
    return mode;
  }

  void set(Mode next) {
    mode = next;
  }
}
