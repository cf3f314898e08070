package dev.turnout.rules;

import dev.turnout.rules.RuleException.Problem;
import dev.turnout.rules.RuleParser.BadRule;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * Parses the bytes of a rule provider's list (YAML {@code payload:} or text) into entries, each
 * with its source {@code provider NAME: entry N (FILE:LINE)}. Pure: no I/O.
 */
final class ProviderList {
  private static final int MAX_PROBLEMS = 50;

  record Parsed(List<Rule> entries, List<Problem> problems) {}

  private record Item(String text, int line) {}

  private ProviderList() {}

  static Parsed parse(ProviderSpec spec, byte[] content, String file, RuleParser parser) {
    List<Problem> problems = new ArrayList<>();
    List<Item> items =
        spec.format() == ProviderSpec.Format.YAML
            ? yamlItems(spec, content, file, problems)
            : textItems(content);
    List<Rule> entries = new ArrayList<>(items.size());
    int bad = 0;
    for (int i = 0; i < items.size(); i++) {
      Item item = items.get(i);
      String source =
          "provider " + spec.name() + ": entry " + (i + 1) + " (" + file + ":" + item.line + ")";
      try {
        Matcher m =
            switch (spec.behavior()) {
              case DOMAIN -> RuleParser.parseDomainEntry(item.text);
              case IPCIDR -> RuleParser.parseCidrEntry(item.text);
              case CLASSICAL -> parser.parseEntry(item.text);
            };
        entries.add(new Rule(m, null, item.text, item.text, source));
      } catch (BadRule e) {
        if (++bad <= MAX_PROBLEMS) {
          problems.add(new Problem(source, item.text, e.getMessage()));
        }
      }
    }
    if (bad > MAX_PROBLEMS) {
      problems.add(
          new Problem(
              "provider " + spec.name(), "", (bad - MAX_PROBLEMS) + " more bad entries not shown"));
    }
    return new Parsed(entries, problems);
  }

  private static List<Item> textItems(byte[] content) {
    String s = new String(content, StandardCharsets.UTF_8);
    if (s.startsWith("\uFEFF")) {
      s = s.substring(1);
    }
    List<Item> items = new ArrayList<>();
    String[] lines = s.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String t = lines[i].strip();
      if (!t.isEmpty() && !t.startsWith("#")) {
        items.add(new Item(t, i + 1));
      }
    }
    return items;
  }

  private static List<Item> yamlItems(
      ProviderSpec spec, byte[] content, String file, List<Problem> problems) {
    LoaderOptions options = new LoaderOptions();
    options.setCodePointLimit(Integer.MAX_VALUE);
    List<Item> items = new ArrayList<>();
    Node root;
    try {
      root =
          new Yaml(options)
              .compose(
                  new InputStreamReader(new ByteArrayInputStream(content), StandardCharsets.UTF_8));
    } catch (YAMLException e) {
      problems.add(new Problem(file, "", "not valid YAML: " + e.getMessage()));
      return items;
    }
    Node payload = null;
    if (root instanceof MappingNode map) {
      for (NodeTuple t : map.getValue()) {
        if (t.getKeyNode() instanceof ScalarNode k && k.getValue().equals("payload")) {
          payload = t.getValueNode();
        }
      }
    }
    if (payload == null) {
      problems.add(new Problem(file, "", "no 'payload:' list in provider " + spec.name()));
      return items;
    }
    if (payload instanceof ScalarNode s && s.getValue().isEmpty()) {
      return items; // "payload:" with nothing: an empty list
    }
    if (!(payload instanceof SequenceNode seq)) {
      problems.add(new Problem(file, "", "'payload:' is not a list"));
      return items;
    }
    for (Node n : seq.getValue()) {
      int line = n.getStartMark().getLine() + 1;
      if (n instanceof ScalarNode s) {
        items.add(new Item(s.getValue().strip(), line));
      } else {
        problems.add(new Problem(file + ":" + line, "", "a payload entry must be a string"));
      }
    }
    return items;
  }
}
