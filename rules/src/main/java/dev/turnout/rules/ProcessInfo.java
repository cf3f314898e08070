package dev.turnout.rules;

import java.util.Objects;

/**
 * The local process that owns a connection's socket, as matched by {@code PROCESS-NAME} (the
 * executable's file name, e.g. {@code curl}) and {@code PROCESS-PATH} (its absolute path, e.g.
 * {@code /usr/bin/curl}). Both are compared exactly, case-sensitively, as on Linux.
 */
public record ProcessInfo(String name, String path) {
  public ProcessInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(path, "path");
  }
}
