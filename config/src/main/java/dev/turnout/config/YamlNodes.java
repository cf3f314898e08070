package dev.turnout.config;

import java.util.List;
import java.util.Map;

/**
 * Nodes built in code rather than parsed: proxy entries made from subscription URIs ({@code
 * ss://...}) and entries changed by a provider's {@code override:}. Each node says which file and
 * line it stands for, so that problems with it point there as with parsed nodes. Stateless.
 */
public final class YamlNodes {
  private YamlNodes() {}

  /**
   * A mapping of {@code values} in their iteration order. A value may be a {@link String}, a {@link
   * Number}, a {@link Boolean} (each becomes a scalar of its text), a {@link List} or a {@link Map}
   * of those (nested nodes), or a {@link YamlNode} taken as it is (it keeps its own file and line).
   * Null values are left out.
   */
  public static YamlMapping mapping(String file, int line, Map<String, ?> values) {
    return mapping(file, line, null, null, -1, values);
  }

  /**
   * {@code base} with {@code replacements} written over it: replaced keys keep their place, new
   * ones come after. The nodes of both are shared, not copied.
   */
  public static YamlMapping with(YamlMapping base, Map<String, YamlNode> replacements) {
    YamlMapping out = new YamlMapping(base.file(), base.line(), null, null, -1);
    for (YamlMapping.Entry e : base.entries()) {
      YamlNode value = replacements.getOrDefault(e.name(), e.value());
      out.add(e.key(), value);
    }
    for (Map.Entry<String, YamlNode> e : replacements.entrySet()) {
      if (!base.has(e.getKey())) {
        out.add(key(base.file(), e.getValue().line(), out, e.getKey()), e.getValue());
      }
    }
    return out;
  }

  /** A string scalar of {@code text}, standing for {@code file:line}. */
  public static YamlScalar scalar(String file, int line, String text) {
    return new YamlScalar(file, line, null, null, -1, text, YamlScalar.Kind.STRING);
  }

  private static YamlMapping mapping(
      String file, int line, YamlNode parent, String key, int index, Map<String, ?> values) {
    YamlMapping out = new YamlMapping(file, line, parent, key, index);
    values.forEach(
        (name, value) -> {
          if (value != null) {
            out.add(key(file, line, out, name), node(file, line, out, name, -1, value));
          }
        });
    return out;
  }

  private static YamlScalar key(String file, int line, YamlNode parent, String name) {
    return new YamlScalar(file, line, parent, null, -1, name, YamlScalar.Kind.STRING);
  }

  private static YamlNode node(
      String file, int line, YamlNode parent, String key, int index, Object value) {
    if (value instanceof YamlNode n) {
      return n;
    }
    if (value instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, ?> map = (Map<String, ?>) m;
      return mapping(file, line, parent, key, index, map);
    }
    if (value instanceof List<?> items) {
      YamlSequence out = new YamlSequence(file, line, parent, key, index);
      for (Object item : items) {
        out.add(node(file, line, out, null, out.items().size(), item));
      }
      return out;
    }
    YamlScalar.Kind kind =
        value instanceof Boolean
            ? YamlScalar.Kind.BOOL
            : value instanceof Number ? YamlScalar.Kind.INT : YamlScalar.Kind.STRING;
    return new YamlScalar(file, line, parent, key, index, String.valueOf(value), kind);
  }
}
