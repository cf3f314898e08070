package dev.turnout.launcher.config;

import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.nodes.Node;

/** Collects configuration problems, each tied to the file, line and key it concerns. */
final class Problems {
  private final String file;
  private final List<String> lines = new ArrayList<>();

  Problems(String file) {
    this.file = file;
  }

  String file() {
    return file;
  }

  void add(Node at, String key, String message) {
    int line = at == null ? 0 : at.getStartMark().getLine() + 1;
    add(line, key, message);
  }

  void add(int line, String key, String message) {
    lines.add(file + ":" + line + ": " + key + ": " + message);
  }

  void throwIfAny() throws ConfigException {
    if (!lines.isEmpty()) {
      throw new ConfigException(lines);
    }
  }
}
