package dev.turnout.config;

/** How bad a {@link Problem} is: an error stops Turnout from starting, a warning is only shown. */
public enum Severity {
  ERROR,
  WARNING
}
