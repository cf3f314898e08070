package dev.turnout.rules;

import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.rules.RuleException.Problem;
import dev.turnout.rules.RuleParser.BadRule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Parses a rule provider's list (YAML {@code payload:}, text, mrs, or the config's inline payload)
 * into entries, each with its source {@code provider NAME: entry N (FILE:LINE)}. Pure: no I/O.
 *
 * <p>An entry that cannot be used — a type Turnout or this behavior does not know, a bad payload —
 * is skipped and counted in the warnings (the first {@value #MAX_SHOWN} with their line), as mihomo
 * skips it: the rest of the list still works. The list as a whole is an error when it cannot be
 * read at all (not YAML, no {@code payload:}, not mrs) or when none of its entries is usable, which
 * means the wrong behavior or format rather than a few odd lines.
 */
final class ProviderList {
  static final int MAX_SHOWN = 50;

  /** The usable entries; errors make the list unusable, warnings are skipped entries. */
  record Parsed(List<Rule> entries, List<Problem> problems, List<Problem> warnings) {}

  private record Item(String text, String file, int line) {}

  private ProviderList() {}

  static Parsed parse(ProviderSpec spec, byte[] content, String file, RuleParser parser) {
    List<Problem> problems = new ArrayList<>();
    List<Item> items =
        switch (format(spec.format(), content, file)) {
          case YAML -> yamlItems(spec, content, file, problems);
          case MRS -> mrsItems(spec, content, file, problems);
          default -> textItems(content, file);
        };
    return entries(spec, items, parser, problems);
  }

  /** The entries of an inline provider, written in the config. */
  static Parsed inline(ProviderSpec spec, RuleParser parser) {
    List<Item> items = new ArrayList<>();
    for (RuleLine l : spec.payload()) {
      if (!l.text().isBlank()) {
        items.add(new Item(l.text().strip(), l.file(), l.line()));
      }
    }
    return entries(spec, items, parser, new ArrayList<>());
  }

  /**
   * The format to read {@code content} as. mrs when written so or when it looks like mrs; otherwise
   * decided by the content whatever was written, as mihomo's reader does: a list with a YAML {@code
   * payload:} head is YAML, any other one entry per line. ACL4SSR's {@code .list} files are
   * referenced without {@code format:}, and Loyalsoldier's YAML lists are named {@code .txt}.
   */
  static ProviderSpec.Format format(ProviderSpec.Format written, byte[] content, String file) {
    if (written == ProviderSpec.Format.MRS
        || written == ProviderSpec.Format.AUTO && MrsFormat.looksLikeMrs(content)) {
      return ProviderSpec.Format.MRS;
    }
    Optional<YamlNode> root =
        YamlFile.parse(file, new String(content, StandardCharsets.UTF_8), new Problems(file));
    return root.isPresent() && root.get() instanceof YamlMapping map && map.has("payload")
        ? ProviderSpec.Format.YAML
        : ProviderSpec.Format.TEXT;
  }

  private static Parsed entries(
      ProviderSpec spec, List<Item> items, RuleParser parser, List<Problem> problems) {
    List<Rule> entries = new ArrayList<>(items.size());
    List<Problem> skipped = new ArrayList<>();
    int bad = 0;
    for (int i = 0; i < items.size(); i++) {
      Item item = items.get(i);
      String subject = "provider " + spec.name() + ": entry " + (i + 1);
      String where = item.line > 0 ? item.file + ":" + item.line : item.file;
      String source = subject + " (" + where + ")";
      try {
        Matcher m =
            switch (spec.behavior()) {
              case DOMAIN -> RuleParser.parseDomainEntry(item.text);
              case IPCIDR -> RuleParser.parseCidrEntry(item.text);
              case CLASSICAL -> parser.parseEntry(item.text);
            };
        entries.add(new Rule(m, null, item.text, item.text, source));
      } catch (BadRule e) {
        if (++bad <= MAX_SHOWN) {
          skipped.add(new Problem(item.file, item.line, subject, item.text, e.getMessage()));
        }
      }
    }
    List<Problem> warnings = new ArrayList<>();
    if (bad > 0 && entries.isEmpty()) {
      problems.addAll(skipped.subList(0, Math.min(skipped.size(), 5)));
      problems.add(
          new Problem(
              spec.file(),
              spec.line(),
              "provider " + spec.name(),
              "",
              "none of its "
                  + bad
                  + " entries can be used as behavior: "
                  + spec.behavior().name().toLowerCase()
                  + " (wrong behavior or format?)"));
    } else if (bad > 0) {
      warnings.addAll(skipped);
      warnings.add(
          new Problem(
              spec.file(),
              spec.line(),
              "provider " + spec.name(),
              "",
              bad
                  + " of "
                  + items.size()
                  + " entries skipped"
                  + (bad > MAX_SHOWN ? " (the first " + MAX_SHOWN + " are listed)" : "")));
    }
    return new Parsed(entries, problems, warnings);
  }

  private static List<Item> textItems(byte[] content, String file) {
    String s = new String(content, StandardCharsets.UTF_8);
    if (s.startsWith("\uFEFF")) {
      s = s.substring(1);
    }
    List<Item> items = new ArrayList<>();
    String[] lines = s.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String t = lines[i].strip();
      if (!t.isEmpty() && !t.startsWith("#") && !t.startsWith("//")) {
        items.add(new Item(t, file, i + 1));
      }
    }
    return items;
  }

  private static List<Item> mrsItems(
      ProviderSpec spec, byte[] content, String file, List<Problem> problems) {
    List<Item> items = new ArrayList<>();
    try {
      for (String entry : MrsFormat.read(content, spec.behavior())) {
        items.add(new Item(entry, file, 0));
      }
    } catch (IOException e) {
      problems.add(Problem.at(file, 0, "", "cannot read mrs list: " + e.getMessage()));
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
        items.add(new Item(s.text().strip(), file, n.line()));
      } else {
        problems.add(Problem.at(file, n.line(), "", "a payload entry must be a string"));
      }
    }
    return items;
  }
}
