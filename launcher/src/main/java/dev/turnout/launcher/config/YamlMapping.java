package dev.turnout.launcher.config;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * A YAML mapping read key by key. Every read remembers the key, so that {@link #rejectUnread} can
 * report keys nobody understood instead of silently ignoring them. Type errors are recorded in
 * {@link Problems} with the line of the offending value, and the default is returned so that
 * reading goes on and every problem of a file is reported in one run.
 */
final class YamlMapping {
  private final Problems problems;
  private final String path;
  private final Node node;
  private final Map<String, NodeTuple> entries = new LinkedHashMap<>();
  private final Set<String> read = new TreeSet<>();

  YamlMapping(Problems problems, String path, Node node) {
    this.problems = problems;
    this.path = path;
    this.node = node;
    if (node instanceof MappingNode mapping) {
      for (NodeTuple tuple : mapping.getValue()) {
        String key = tuple.getKeyNode() instanceof ScalarNode s ? s.getValue() : null;
        if (key == null) {
          problems.add(tuple.getKeyNode(), path, "keys must be plain strings");
        } else if (entries.putIfAbsent(key, tuple) != null) {
          problems.add(tuple.getKeyNode(), qualified(key), "duplicate key");
        }
      }
    } else if (node != null) {
      problems.add(node, path.isEmpty() ? "(top level)" : path, "expected a mapping of keys");
    }
  }

  String qualified(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  Optional<Node> value(String key) {
    read.add(key);
    NodeTuple tuple = entries.get(key);
    if (tuple == null) {
      return Optional.empty();
    }
    Node value = tuple.getValueNode();
    if (value instanceof ScalarNode s && Tag.NULL.equals(s.getTag())) {
      return Optional.empty();
    }
    return Optional.of(value);
  }

  Node keyNode(String key) {
    NodeTuple tuple = entries.get(key);
    return tuple == null ? node : tuple.getKeyNode();
  }

  String string(String key, String fallback) {
    Optional<Node> value = value(key);
    if (value.isEmpty()) {
      return fallback;
    }
    if (value.get() instanceof ScalarNode s) {
      return s.getValue();
    }
    problems.add(value.get(), qualified(key), "expected a single value");
    return fallback;
  }

  boolean bool(String key, boolean fallback) {
    String text = string(key, null);
    if (text == null) {
      return fallback;
    }
    switch (text.toLowerCase(Locale.ROOT)) {
      case "true":
      case "yes":
      case "on":
        return true;
      case "false":
      case "no":
      case "off":
        return false;
      default:
        problems.add(
            value(key).orElse(node),
            qualified(key),
            "expected true or false, got \"" + text + "\"");
        return fallback;
    }
  }

  int integer(String key, int fallback, int min, int max) {
    String text = string(key, null);
    if (text == null) {
      return fallback;
    }
    try {
      int parsed = Integer.parseInt(text.trim());
      if (parsed >= min && parsed <= max) {
        return parsed;
      }
    } catch (NumberFormatException ignored) {
      // reported below with the expected range
    }
    problems.add(
        value(key).orElse(node),
        qualified(key),
        "expected an integer from " + min + " to " + max + ", got \"" + text + "\"");
    return fallback;
  }

  /** One of a fixed set of words; the message lists them. */
  String choice(String key, String fallback, List<String> allowed) {
    String text = string(key, null);
    if (text == null) {
      return fallback;
    }
    if (allowed.contains(text)) {
      return text;
    }
    problems.add(
        value(key).orElse(node),
        qualified(key),
        "expected one of " + String.join(", ", allowed) + ", got \"" + text + "\"");
    return fallback;
  }

  /** A list of scalars, each with the line it was written on. */
  List<Scalar> scalars(String key) {
    Optional<Node> value = value(key);
    if (value.isEmpty()) {
      return List.of();
    }
    if (!(value.get() instanceof SequenceNode sequence)) {
      problems.add(value.get(), qualified(key), "expected a list");
      return List.of();
    }
    List<Scalar> out = new ArrayList<>();
    for (Node item : sequence.getValue()) {
      if (item instanceof ScalarNode s) {
        out.add(new Scalar(s.getValue(), s.getStartMark().getLine() + 1));
      } else {
        problems.add(item, qualified(key), "expected a list of plain values");
      }
    }
    return out;
  }

  /** The items of a list of mappings, such as {@code proxies:}; other items are reported. */
  List<Node> mappings(String key) {
    Optional<Node> value = value(key);
    if (value.isEmpty()) {
      return List.of();
    }
    if (!(value.get() instanceof SequenceNode sequence)) {
      problems.add(value.get(), qualified(key), "expected a list");
      return List.of();
    }
    List<Node> out = new ArrayList<>();
    for (Node item : sequence.getValue()) {
      if (item instanceof MappingNode) {
        out.add(item);
      } else {
        problems.add(item, qualified(key), "expected a list of mappings (name: ..., type: ...)");
      }
    }
    return out;
  }

  YamlMapping mapping(String key) {
    return new YamlMapping(problems, qualified(key), value(key).orElse(null));
  }

  /** Records a problem with the value of {@code key} (or the mapping itself when absent). */
  void problem(String key, String message) {
    problems.add(value(key).orElse(node), qualified(key), message);
  }

  /** The keys of this mapping in file order, each marked as read. */
  List<String> keys() {
    read.addAll(entries.keySet());
    return new ArrayList<>(entries.keySet());
  }

  boolean has(String key) {
    return entries.containsKey(key);
  }

  /**
   * Reports every key present but never read. Keys that Clash knows but Turnout does not support
   * yet get their own message so users know it is not a typo.
   */
  void rejectUnread(Set<String> knownButUnsupported) {
    for (Map.Entry<String, NodeTuple> entry : entries.entrySet()) {
      String key = entry.getKey();
      if (read.contains(key)) {
        continue;
      }
      if (knownButUnsupported.contains(key)) {
        problems.add(
            entry.getValue().getKeyNode(),
            qualified(key),
            "not supported by this version of Turnout; remove it");
      } else {
        problems.add(
            entry.getValue().getKeyNode(),
            qualified(key),
            "unknown key; expected one of " + String.join(", ", read));
      }
    }
  }

  /** A scalar value and its 1-based line number. */
  record Scalar(String text, int line) {}
}
