package dev.turnout.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A YAML mapping with string keys, in file order. Keys merged in with {@code <<: *anchor} come
 * after the keys written here, which override them, as in yaml.v3. A key written twice is reported
 * by {@link YamlFile#parse} and only its first value kept.
 */
public final class YamlMapping extends YamlNode {
  /** One key with its value; the key carries the line the key was written on. */
  public record Entry(YamlScalar key, YamlNode value) {
    public String name() {
      return key.text();
    }
  }

  private final Map<String, Entry> entries = new LinkedHashMap<>();

  YamlMapping(String file, int line, YamlNode parent, String key, int index) {
    super(file, line, parent, key, index);
  }

  /** False when the key was already there (the first value stays). */
  boolean add(YamlScalar key, YamlNode value) {
    return entries.putIfAbsent(key.text(), new Entry(key, value)) == null;
  }

  public List<Entry> entries() {
    return Collections.unmodifiableList(new ArrayList<>(entries.values()));
  }

  public List<String> keys() {
    return List.copyOf(entries.keySet());
  }

  public boolean has(String key) {
    return entries.containsKey(key);
  }

  public Optional<Entry> entry(String key) {
    return Optional.ofNullable(entries.get(key));
  }

  /** The value of {@code key}, a null scalar when written without one. */
  public Optional<YamlNode> get(String key) {
    return entry(key).map(Entry::value);
  }

  /** The value's text when it is a scalar and not null. */
  public Optional<String> text(String key) {
    return get(key)
        .filter(v -> v instanceof YamlScalar s && !s.isNull())
        .map(v -> ((YamlScalar) v).text());
  }

  public int size() {
    return entries.size();
  }

  @Override
  public String describe() {
    return "a mapping";
  }
}
