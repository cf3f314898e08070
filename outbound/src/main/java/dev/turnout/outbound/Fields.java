package dev.turnout.outbound;

import dev.turnout.outbound.ConfigProblem.Section;
import dev.turnout.outbound.ConfigProblem.Severity;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads typed fields from one YAML entry (as SnakeYAML gives it), recording a problem naming the
 * entry and the field for each one that is missing or malformed instead of throwing.
 */
public final class Fields {
  final Section section;
  final int index;
  final Map<String, Object> entry;
  final String name;
  private final List<ConfigProblem> problems;
  private boolean failed;
  private final java.util.Set<String> reported = new java.util.HashSet<>();

  Fields(Section section, int index, Map<String, Object> entry, List<ConfigProblem> problems) {
    this.section = section;
    this.index = index;
    this.entry = entry;
    this.problems = problems;
    Object n = entry.get("name");
    this.name = n instanceof String s && !s.isBlank() ? s : null;
  }

  /** The entry's name, or null when it has none (or not a non-empty string). */
  public String name() {
    return name;
  }

  /** True when an error was recorded for this entry. */
  boolean failed() {
    return failed;
  }

  public void error(String field, String message) {
    failed = true;
    problems.add(new ConfigProblem(Severity.ERROR, section, index, name, field, message));
  }

  public void warn(String field, String message) {
    problems.add(new ConfigProblem(Severity.WARNING, section, index, name, field, message));
  }

  public String string(String key, boolean required) {
    Object v = entry.get(key);
    if (v == null) {
      if (required) {
        error(key, "missing; expected a string");
      }
      return null;
    }
    if (v instanceof String || v instanceof Number || v instanceof Boolean) {
      String s = v.toString();
      if (required && s.isEmpty()) {
        error(key, "must not be empty");
        return null;
      }
      return s;
    }
    error(key, "expected a string, got " + describe(v));
    return null;
  }

  int port(String key) {
    Object v = entry.get(key);
    if (v == null) {
      error(key, "missing; expected a port number 1-65535");
      return 0;
    }
    Integer p = integer(v);
    if (p == null || p < 1 || p > 65535) {
      error(key, "expected a port number 1-65535, got " + describe(v));
      return 0;
    }
    return p;
  }

  public int integer(String key, int fallback, int min, int max) {
    Object v = entry.get(key);
    if (v == null) {
      return fallback;
    }
    Integer i = integer(v);
    if (i == null || i < min || i > max) {
      error(key, "expected a whole number from " + min + " to " + max + ", got " + describe(v));
      return fallback;
    }
    return i;
  }

  public boolean bool(String key, boolean fallback) {
    Object v = entry.get(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if ("true".equals(v) || "false".equals(v)) {
      return Boolean.parseBoolean((String) v);
    }
    error(key, "expected true or false, got " + describe(v));
    return fallback;
  }

  public String oneOf(String key, List<String> allowed, String fallback) {
    Object v = entry.get(key);
    if (v == null) {
      if (fallback == null) {
        error(key, "missing; expected one of " + String.join(", ", allowed));
      }
      return fallback;
    }
    String s = v.toString();
    if (!allowed.contains(s)) {
      error(key, "expected one of " + String.join(", ", allowed) + ", got " + describe(v));
      return fallback;
    }
    return s;
  }

  public List<String> strings(String key, boolean required) {
    Object v = entry.get(key);
    if (v == null) {
      if (required) {
        error(key, "missing; expected a list of names");
      }
      return List.of();
    }
    if (!(v instanceof List<?> list)) {
      error(key, "expected a list of names, got " + describe(v));
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (Object o : list) {
      if (o instanceof String || o instanceof Number) {
        out.add(o.toString());
      } else {
        error(key, "expected a list of names, found " + describe(o));
      }
    }
    return out;
  }

  /** Warns about keys this entry has that Turnout does not know for its type. */
  public void unknownKeys(Set<String> known) {
    for (String key : entry.keySet()) {
      if (!known.contains(key) && !reported.contains(key)) {
        warn(key, "unknown key, ignored");
      }
    }
  }

  /** Errors for keys that would change behaviour in ways Turnout does not implement. */
  void unsupported(String key, String why) {
    if (entry.containsKey(key)) {
      reported.add(key);
      error(key, why);
    }
  }

  private static Integer integer(Object v) {
    if (v instanceof Integer i) {
      return i;
    }
    if (v instanceof Long l && l >= Integer.MIN_VALUE && l <= Integer.MAX_VALUE) {
      return l.intValue();
    }
    if (v instanceof String s) {
      try {
        return Integer.parseInt(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }

  static String describe(Object v) {
    if (v instanceof String s) {
      return "\"" + s + "\"";
    }
    if (v instanceof Map) {
      return "a mapping";
    }
    if (v instanceof List) {
      return "a list";
    }
    return String.valueOf(v);
  }
}
