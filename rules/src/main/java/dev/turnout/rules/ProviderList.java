package dev.turnout.rules;

import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.rules.RuleException.Problem;
import dev.turnout.rules.RuleParser.BadRule;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

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
      String subject = "provider " + spec.name() + ": entry " + (i + 1);
      String source = subject + " (" + file + ":" + item.line + ")";
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
          problems.add(new Problem(file, item.line, subject, item.text, e.getMessage()));
        }
      }
    }
    if (bad > MAX_PROBLEMS) {
      problems.add(
          new Problem(
              file,
              0,
              "provider " + spec.name(),
              "",
              (bad - MAX_PROBLEMS) + " more bad entries not shown"));
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
    List<Item> items = new ArrayList<>();
    Problems yaml = new Problems(file);
    String text = new String(content, StandardCharsets.UTF_8);
    Optional<YamlNode> root = YamlFile.parse(file, text, yaml);
    for (dev.turnout.config.Problem p : yaml.sorted()) {
      problems.add(Problem.at(file, p.line(), "", "not valid YAML: " + p.message()));
    }
    if (root.isEmpty()) {
      return items;
    }
    YamlNode payload =
        root.get() instanceof YamlMapping map ? map.get("payload").orElse(null) : null;
    if (payload == null) {
      problems.add(Problem.at(file, 0, "", "no 'payload:' list in provider " + spec.name()));
      return items;
    }
    if (payload instanceof YamlScalar s && (s.isNull() || s.text().isEmpty())) {
      return items; // "payload:" with nothing: an empty list
    }
    if (!(payload instanceof YamlSequence seq)) {
      problems.add(Problem.at(file, payload.line(), "", "'payload:' is not a list"));
      return items;
    }
    for (YamlNode n : seq.items()) {
      if (n instanceof YamlScalar s) {
        items.add(new Item(s.text().strip(), n.line()));
      } else {
        problems.add(Problem.at(file, n.line(), "", "a payload entry must be a string"));
      }
    }
    return items;
  }
}
