package dev.turnout.outbound;

import dev.turnout.config.MappingReader;
import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** Proxy and group entries for tests, read by the real config reader from YAML text. */
public final class Entries {
  static final String FILE = "test.yaml";

  private Entries() {}

  /** The entries of the list under {@code key} in the YAML {@code lines}. */
  public static List<YamlMapping> parse(String key, String... lines) {
    Problems problems = new Problems(FILE);
    MappingReader top =
        MappingReader.of(
            YamlFile.parse(FILE, String.join("\n", lines) + "\n", problems).orElseThrow(),
            problems);
    List<YamlMapping> entries = top.mappings(key);
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(problems.sorted().toString());
    }
    return entries;
  }

  /**
   * Entries built in code, one per line, each written as JSON (which is YAML): strings, numbers,
   * booleans and lists of those.
   */
  public static List<YamlMapping> of(List<Map<String, Object>> maps) {
    String yaml =
        maps.stream().map(m -> "  - " + json(m)).collect(Collectors.joining("\n", "x:\n", "\n"));
    return parse("x", yaml);
  }

  private static String json(Object v) {
    if (v instanceof Map<?, ?> m) {
      return m.entrySet().stream()
          .map(e -> json(e.getKey()) + ": " + json(e.getValue()))
          .collect(Collectors.joining(", ", "{", "}"));
    }
    if (v instanceof List<?> l) {
      return l.stream().map(Entries::json).collect(Collectors.joining(", ", "[", "]"));
    }
    if (v instanceof String s) {
      return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
    return String.valueOf(v);
  }
}
