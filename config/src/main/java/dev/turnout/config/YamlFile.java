package dev.turnout.config;

import java.util.Optional;
import org.snakeyaml.engine.v2.api.LoadSettings;
import org.snakeyaml.engine.v2.api.lowlevel.Compose;
import org.snakeyaml.engine.v2.exceptions.Mark;
import org.snakeyaml.engine.v2.exceptions.MarkedYamlEngineException;
import org.snakeyaml.engine.v2.exceptions.YamlEngineException;
import org.snakeyaml.engine.v2.nodes.MappingNode;
import org.snakeyaml.engine.v2.nodes.Node;
import org.snakeyaml.engine.v2.nodes.NodeTuple;
import org.snakeyaml.engine.v2.nodes.ScalarNode;
import org.snakeyaml.engine.v2.nodes.SequenceNode;
import org.snakeyaml.engine.v2.nodes.Tag;
import org.snakeyaml.engine.v2.schema.CoreSchema;

/**
 * Parses YAML text into {@link YamlNode}s with snakeyaml-engine: YAML 1.2 with the core schema, as
 * Clash and mihomo (Go's yaml.v3) read it, so that {@code NO} and {@code off} stay strings;
 * anchors, aliases and merge keys ({@code <<: *base}) as Clash configs use them; a mark on every
 * node for the line. Stateless and thread-safe.
 */
public final class YamlFile {
  /**
   * Nodes made at most, aliases counted each time they are used: a guard against a small file whose
   * aliases expand to billions of nodes. Large rule-provider lists have a few 100,000 entries.
   */
  static final int MAX_NODES = 1_000_000;

  private static final int MAX_DEPTH = 100;
  private static final Tag MERGE = new Tag(Tag.PREFIX + "merge");

  private YamlFile() {}

  /**
   * The document in {@code text}, named {@code file} in problems. Syntax errors, keys that are not
   * plain values and keys written twice go to {@code problems}; only a syntax error (or a document
   * too large) gives empty. An empty document is a null scalar on line 1.
   */
  public static Optional<YamlNode> parse(String file, String text, Problems problems) {
    LoadSettings settings =
        LoadSettings.builder()
            .setLabel(file)
            .setSchema(new CoreSchema())
            .setAllowDuplicateKeys(true) // reported below, with the line
            .setAllowNonScalarKeys(true) // likewise
            .setMaxAliasesForCollections(MAX_NODES)
            .setCodePointLimit(Integer.MAX_VALUE)
            .build();
    Optional<Node> root;
    try {
      root = new Compose(settings).composeString(text);
    } catch (MarkedYamlEngineException e) {
      int line = e.getProblemMark().map(m -> m.getLine() + 1).orElse(0);
      problems.add(Severity.ERROR, file, line, "", "YAML syntax: " + e.getProblem());
      return Optional.empty();
    } catch (YamlEngineException e) {
      problems.add(Severity.ERROR, file, 0, "", "YAML syntax: " + e.getMessage());
      return Optional.empty();
    }
    if (root.isEmpty()) {
      return Optional.of(new YamlScalar(file, 1, null, null, -1, "", YamlScalar.Kind.NULL));
    }
    Converter converter = new Converter(file, problems);
    try {
      return Optional.of(converter.node(root.get(), null, null, -1, 0));
    } catch (TooLarge e) {
      problems.add(
          Severity.ERROR, file, e.line, "", "too deeply nested, or aliases expand too far");
      return Optional.empty();
    }
  }

  private static final class TooLarge extends RuntimeException {
    final int line;

    TooLarge(int line) {
      super(null, null, false, false);
      this.line = line;
    }
  }

  /** Turns one composed document into nodes; counts them against {@link #MAX_NODES}. */
  private static final class Converter {
    private final String file;
    private final Problems problems;
    private int made;

    Converter(String file, Problems problems) {
      this.file = file;
      this.problems = problems;
    }

    YamlNode node(Node n, YamlNode parent, String key, int index, int depth) {
      int line = line(n);
      if (++made > MAX_NODES || depth > MAX_DEPTH) {
        throw new TooLarge(line);
      }
      if (n instanceof ScalarNode s) {
        return new YamlScalar(file, line, parent, key, index, s.getValue(), kind(s));
      }
      if (n instanceof SequenceNode s) {
        YamlSequence out = new YamlSequence(file, line, parent, key, index);
        for (Node item : s.getValue()) {
          out.add(node(item, out, null, out.items().size(), depth + 1));
        }
        return out;
      }
      MappingNode m = (MappingNode) n;
      YamlMapping out = new YamlMapping(file, line, parent, key, index);
      for (NodeTuple t : m.getValue()) {
        if (!(t.getKeyNode() instanceof ScalarNode k) || MERGE.equals(k.getTag())) {
          problems.add(
              Severity.ERROR, file, line(t.getKeyNode()), out.path(), "keys must be plain strings");
          continue;
        }
        YamlScalar name = new YamlScalar(file, line(k), out, null, -1, k.getValue(), kind(k));
        YamlNode value = node(t.getValueNode(), out, k.getValue(), -1, depth + 1);
        if (!out.add(name, value)) {
          problems.add(Severity.ERROR, file, name.line(), value.path(), "duplicate key");
        }
      }
      return out;
    }

    private static int line(Node n) {
      return n.getStartMark().map(Mark::getLine).orElse(-1) + 1;
    }

    private static YamlScalar.Kind kind(ScalarNode s) {
      if (!s.isPlain()) {
        return YamlScalar.Kind.STRING;
      }
      Tag tag = s.getTag();
      if (Tag.NULL.equals(tag)) {
        return YamlScalar.Kind.NULL;
      }
      if (Tag.BOOL.equals(tag)) {
        return YamlScalar.Kind.BOOL;
      }
      if (Tag.INT.equals(tag)) {
        return YamlScalar.Kind.INT;
      }
      if (Tag.FLOAT.equals(tag)) {
        return YamlScalar.Kind.FLOAT;
      }
      return YamlScalar.Kind.STRING;
    }
  }
}
