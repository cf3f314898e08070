package dev.turnout.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads one YAML mapping key by key with types. A value of the wrong type or out of range is
 * recorded in {@link Problems} with the file and line of the value and the dotted key, and the
 * default is returned, so that reading goes on and every problem of a file shows in one run. Every
 * read remembers its key, so that {@link #reportUnread} can report the keys nobody read. A reader
 * for an absent section reads as empty. Not thread-safe: one reading thread owns it.
 */
public final class MappingReader {
  private final Problems problems;
  private final String path;
  private final YamlNode at;
  private final YamlMapping mapping;
  private final Set<String> read = new TreeSet<>();
  private final Map<String, MappingReader> children = new HashMap<>();

  private MappingReader(Problems problems, String path, YamlNode at, YamlNode value) {
    this.problems = problems;
    this.path = path;
    this.at = value == null ? at : value;
    if (value instanceof YamlMapping m) {
      this.mapping = m;
    } else {
      this.mapping = null;
      if (value != null && !(value instanceof YamlScalar s && s.isNull())) {
        problems.error(value, path.isEmpty() ? "(top level)" : path, "expected a mapping of keys");
      }
    }
  }

  /** A reader for {@code node}, which should be a mapping (it is reported otherwise). */
  public static MappingReader of(YamlNode node, Problems problems) {
    return new MappingReader(problems, node.path(), node, node);
  }

  public Problems problems() {
    return problems;
  }

  /** The dotted path of this mapping; empty at the top level. */
  public String path() {
    return path;
  }

  /** The dotted path of {@code key} in this mapping. */
  public String qualified(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** The mapping read, or empty when it is absent or not a mapping. */
  public Optional<YamlMapping> node() {
    return Optional.ofNullable(mapping);
  }

  /** The value of {@code key}, marked as read; empty when absent or written without a value. */
  public Optional<YamlNode> value(String key) {
    read.add(key);
    return raw(key).filter(v -> !(v instanceof YamlScalar s && s.isNull()));
  }

  private Optional<YamlNode> raw(String key) {
    return mapping == null ? Optional.empty() : mapping.get(key);
  }

  /** True when {@code key} is written, with or without a value. Does not mark it read. */
  public boolean has(String key) {
    return mapping != null && mapping.has(key);
  }

  /** Where a problem with {@code key} is: its value, else the key, else this mapping. */
  public YamlNode at(String key) {
    Optional<YamlMapping.Entry> entry = mapping == null ? Optional.empty() : mapping.entry(key);
    return entry.map(e -> (YamlNode) e.value()).orElse(at);
  }

  /** Where {@code key} itself is written, or this mapping when absent. */
  public YamlNode keyAt(String key) {
    Optional<YamlMapping.Entry> entry = mapping == null ? Optional.empty() : mapping.entry(key);
    return entry.map(e -> (YamlNode) e.key()).orElse(at);
  }

  /** Records an error about {@code key}, at its value (or the mapping when absent). */
  public void problem(String key, String message) {
    problems.error(at(key), qualified(key), message);
  }

  /** Records a warning about {@code key}, at its value (or the mapping when absent). */
  public void warning(String key, String message) {
    problems.warning(at(key), qualified(key), message);
  }

  /** The scalar value of {@code key}, or empty (a list or mapping there is reported). */
  public Optional<YamlScalar> scalar(String key) {
    Optional<YamlNode> value = value(key);
    if (value.isEmpty()) {
      return Optional.empty();
    }
    if (value.get() instanceof YamlScalar s) {
      return Optional.of(s);
    }
    problems.error(value.get(), qualified(key), "expected a single value");
    return Optional.empty();
  }

  /** The text of {@code key} exactly as written ({@code off} stays {@code off}). */
  public String string(String key, String fallback) {
    return scalar(key).map(YamlScalar::text).orElse(fallback);
  }

  /** {@code true}/{@code false}, or the YAML 1.1 words yaml.v3 takes for a boolean. */
  public boolean bool(String key, boolean fallback) {
    Optional<YamlScalar> s = scalar(key);
    if (s.isEmpty()) {
      return fallback;
    }
    Optional<Boolean> b = s.get().asBoolean();
    if (b.isEmpty()) {
      problems.error(
          s.get(), qualified(key), "expected true or false, got \"" + s.get().text() + "\"");
    }
    return b.orElse(fallback);
  }

  /** A whole number from {@code min} to {@code max}. */
  public int integer(String key, int fallback, int min, int max) {
    return (int) whole(key, fallback, min, max, "an integer");
  }

  /** A whole number of seconds from {@code min} to {@code max}, as Clash writes durations. */
  public Duration seconds(String key, long fallback, long min, long max) {
    return Duration.ofSeconds(whole(key, fallback, min, max, "a number of seconds"));
  }

  private long whole(String key, long fallback, long min, long max, String what) {
    Optional<YamlScalar> s = scalar(key);
    if (s.isEmpty()) {
      return fallback;
    }
    OptionalLong value = s.get().asLong();
    if (value.isPresent() && value.getAsLong() >= min && value.getAsLong() <= max) {
      return value.getAsLong();
    }
    problems.error(
        s.get(),
        qualified(key),
        "expected " + what + " from " + min + " to " + max + ", got \"" + s.get().text() + "\"");
    return fallback;
  }

  /** One of a fixed set of words; the message lists them. */
  public String choice(String key, String fallback, List<String> allowed) {
    Optional<YamlScalar> s = scalar(key);
    if (s.isEmpty()) {
      return fallback;
    }
    if (allowed.contains(s.get().text())) {
      return s.get().text();
    }
    problems.error(
        s.get(),
        qualified(key),
        "expected one of " + String.join(", ", allowed) + ", got \"" + s.get().text() + "\"");
    return fallback;
  }

  /** A list of plain values, each with its line; other items are reported and left out. */
  public List<YamlScalar> scalars(String key) {
    return items(key, YamlScalar.class, "expected a list of plain values");
  }

  /** A list of mappings, such as {@code proxies:}; other items are reported and left out. */
  public List<YamlMapping> mappings(String key) {
    return items(key, YamlMapping.class, "expected a list of mappings");
  }

  private <T extends YamlNode> List<T> items(String key, Class<T> type, String message) {
    List<T> out = new ArrayList<>();
    for (YamlNode item : items(key)) {
      if (type.isInstance(item)) {
        out.add(type.cast(item));
      } else {
        problems.error(item, qualified(key), message);
      }
    }
    return out;
  }

  /**
   * The items of the list under {@code key}, of any shape; empty when absent (not a list:
   * reported).
   */
  public List<YamlNode> items(String key) {
    Optional<YamlNode> value = value(key);
    if (value.isEmpty()) {
      return List.of();
    }
    if (value.get() instanceof YamlSequence s) {
      return s.items();
    }
    problems.error(value.get(), qualified(key), "expected a list");
    return List.of();
  }

  /**
   * The nested mapping under {@code key}; the same reader each time, so that what was read in it is
   * remembered. Reads as empty when absent.
   */
  public MappingReader mapping(String key) {
    MappingReader child = children.get(key);
    if (child == null) {
      child = new MappingReader(problems, qualified(key), at(key), value(key).orElse(null));
      children.put(key, child);
    }
    read.add(key);
    return child;
  }

  /** The keys in file order, each marked as read. */
  public List<String> keys() {
    if (mapping == null) {
      return List.of();
    }
    read.addAll(mapping.keys());
    return mapping.keys();
  }

  /**
   * Reports every key written but never read, as {@code policy} says for this section; the message
   * of an unknown key lists the keys that were read (or names the one it looks misspelt from). A
   * key the policy knows that is written without effect ({@code false}, {@code 0}, nothing, an
   * empty list) asks for what Turnout does anyway and is not reported.
   */
  public void reportUnread(KeyPolicy policy) {
    if (mapping == null) {
      return;
    }
    for (YamlMapping.Entry entry : mapping.entries()) {
      String name = entry.name();
      if (read.contains(name)
          || (policy.ignores(name) || policy.refuses(name)) && withoutEffect(entry.value())) {
        continue;
      }
      problems.add(
          policy.severity(name),
          entry.key().file(),
          entry.key().line(),
          qualified(name),
          policy.message(name, read));
    }
  }

  private static boolean withoutEffect(YamlNode value) {
    if (value instanceof YamlScalar s) {
      return s.isNull()
          || s.text().isBlank()
          || s.asBoolean().equals(Optional.of(false))
          || s.asLong().equals(OptionalLong.of(0));
    }
    if (value instanceof YamlSequence s) {
      return s.items().isEmpty();
    }
    return value instanceof YamlMapping m && m.size() == 0;
  }
}
