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
 * with its source {@code provider NAME: entry N (FILE:LINE)}. An entry that cannot be read is
 * skipped and counted, as mihomo skips it, so that one rule type Turnout lacks does not cost the
 * whole list; a list that cannot be read at all is a problem. Pure: no I/O.
 */
final class ProviderList {
  /** Skipped entries kept for messages at most; all of them are counted. */
  static final int MAX_KEPT = 50;

  /**
   * The entries read; {@code problems} that make the whole list unusable (empty when it is usable);
   * the first of the {@code skipped} entries and how many there were.
   */
  record Parsed(
      List<Rule> entries, List<Problem> problems, List<Problem> skipped, int skippedCount) {
    /** One line about the skipped entries, naming the first; null when none was skipped. */
    Problem skippedSummary(String provider) {
      if (skippedCount == 0) {
        return null;
      }
      Problem first = skipped.get(0);
      return new Problem(
          first.file(),
          first.line(),
          "provider " + provider,
          first.text(),
          "skipped "
              + skippedCount
              + " of "
              + (entries.size() + skippedCount)
              + " entries Turnout cannot read; the first: "
              + first.message());
    }
  }

  private record Item(String text, int line) {}

  private ProviderList() {}

  static Parsed parse(ProviderSpec spec, byte[] content, String file, RuleParser parser) {
    List<Problem> problems = new ArrayList<>();
    List<Problem> skipped = new ArrayList<>();
    List<Item> items =
        spec.format() == ProviderSpec.Format.YAML && hasPayload(content)
            ? yamlItems(spec, content, file, problems, skipped)
            : textItems(content);
    List<Rule> entries = new ArrayList<>(items.size());
    int bad = skipped.size();
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
        if (++bad <= MAX_KEPT) {
          skipped.add(new Problem(file, item.line, subject, item.text, e.getMessage()));
        }
      }
    }
    skipped.sort(java.util.Comparator.comparingInt(Problem::line));
    if (entries.isEmpty() && bad > 0) {
      Problem first = skipped.get(0);
      problems.add(
          new Problem(
              first.file(),
              first.line(),
              "provider " + spec.name(),
              first.text(),
              "none of its " + bad + " entries can be read; the first: " + first.message()));
    }
    return new Parsed(entries, problems, List.copyOf(skipped), bad);
  }

  /**
   * Whether a list has YAML's {@code payload:} head. One without it is read as text, one entry per
   * line, whatever its format says: ACL4SSR's {@code .list} files are referenced without {@code
   * format:}, and Loyalsoldier's YAML lists are named {@code .txt}; mihomo's reader looks for the
   * head too.
   */
  static boolean hasPayload(byte[] content) {
    String s = new String(content, StandardCharsets.UTF_8);
    return s.lines().anyMatch(l -> l.startsWith("payload:") || l.startsWith("\uFEFFpayload:"));
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
      ProviderSpec spec,
      byte[] content,
      String file,
      List<Problem> problems,
      List<Problem> skipped) {
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
        skipped.add(Problem.at(file, n.line(), "", "a payload entry must be a string"));
      }
    }
    return items;
  }
}
