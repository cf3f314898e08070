package dev.turnout.rules;

import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import dev.turnout.rules.RuleException.Problem;
import dev.turnout.rules.RuleParser.BadRule;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
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

  private ProviderList() {}

  /**
   * Reads {@code content} as mrs when written so or when it looks like mrs; otherwise as decided by
   * the content whatever was written, as mihomo's reader does: a list with a YAML {@code payload:}
   * head is YAML, any other one entry per line. ACL4SSR's {@code .list} files are referenced
   * without {@code format:}, and Loyalsoldier's YAML lists are named {@code .txt}.
   */
  static Parsed parse(ProviderSpec spec, byte[] content, String file, RuleParser parser) {
    List<Problem> problems = new ArrayList<>();
    Entries entries = new Entries(spec, parser, file, lineCount(content));
    if (isMrs(spec.format(), content)) {
      mrsItems(spec, content, file, problems, entries);
    } else if (ListLines.simpleYaml(content, entries)) {
      // read: the common shape of YAML lists, without a YAML tree
    } else {
      Problems yaml = new Problems(file);
      Optional<YamlMapping> root = yamlRoot(content, file, yaml);
      if (root.isPresent()) {
        yamlItems(spec, root.get(), yaml, problems, entries);
      } else {
        ListLines.text(content, entries);
      }
    }
    return entries.finish(problems);
  }

  /** The entries of an inline provider, written in the config. */
  static Parsed inline(ProviderSpec spec, RuleParser parser) {
    Entries entries = new Entries(spec, parser, null, spec.payload().size());
    for (RuleLine l : spec.payload()) {
      if (!l.text().isBlank()) {
        entries.add(l.text().strip(), l.file(), l.line());
      }
    }
    return entries.finish(new ArrayList<>());
  }

  private static boolean isMrs(ProviderSpec.Format written, byte[] content) {
    return written == ProviderSpec.Format.MRS
        || written == ProviderSpec.Format.AUTO && MrsFormat.looksLikeMrs(content);
  }

  /**
   * The YAML mapping with a {@code payload:} key that {@code content} is, if it is one. Parsing
   * 100,000s of lines as YAML costs seconds, so a list that cannot hold that key (a text list
   * without the word, or a way to write it with escapes) is not parsed.
   */
  private static Optional<YamlMapping> yamlRoot(byte[] content, String file, Problems problems) {
    if (!contains(content, "payload") && !(contains(content, "\\") && contains(content, "\""))) {
      return Optional.empty();
    }
    Optional<YamlNode> root =
        YamlFile.parse(file, new String(content, StandardCharsets.UTF_8), problems);
    return root.isPresent() && root.get() instanceof YamlMapping map && map.has("payload")
        ? Optional.of(map)
        : Optional.empty();
  }

  /** The number of lines of {@code content}: at most one entry each in text and YAML lists. */
  private static int lineCount(byte[] content) {
    int n = 1;
    for (byte c : content) {
      if (c == '\n') {
        n++;
      }
    }
    return n;
  }

  private static boolean contains(byte[] b, String s) {
    outer:
    for (int i = 0; i + s.length() <= b.length; i++) {
      for (int k = 0; k < s.length(); k++) {
        if (b[i + k] != s.charAt(k)) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /**
   * Turns the list's lines into entries as they are read, counting those that cannot be used: no
   * list of lines or items is built on the way.
   */
  private static final class Entries implements ListLines.Sink {
    private final ProviderSpec spec;
    private final RuleParser parser;
    private final String file;
    private final ProviderEntries.Builder entries;
    private final List<Problem> skipped = new ArrayList<>();
    private Rule.Origin origin; // the entries' origin, shared while their file is the same
    private int count;
    private int bad;

    Entries(ProviderSpec spec, RuleParser parser, String file, int expected) {
      this.spec = spec;
      this.parser = parser;
      this.file = file;
      this.origin = new Rule.Origin("provider " + spec.name(), file);
      this.entries = new ProviderEntries.Builder(origin, classical(), expected);
    }

    private boolean classical() {
      return spec.behavior() == ProviderSpec.Behavior.CLASSICAL;
    }

    @Override
    public void entry(String text, int line) {
      add(text, file, line);
    }

    /**
     * Takes a plain domain entry ({@code +.a.com}, {@code DOMAIN-SUFFIX,a.com}: nearly every line
     * of a real list) straight from the list's bytes, without a string; declines everything else,
     * which then goes through the parser. It takes only entries that parse to a domain written
     * exactly as the entry is (lower case, no trailing dot, no blanks), so that the parser would
     * give the same entry.
     */
    @Override
    public boolean entry(byte[] b, int from, int to, int line) {
      if (!Objects.equals(origin.file(), file) || origin != entries.origin()) {
        return false; // packed entries share the builder's origin
      }
      boolean classical = classical();
      DomainMode mode = classical ? classicalMode(b, from, to) : domainListMode(b, from, to);
      if (mode == null) {
        return false;
      }
      int start = from + Rule.prefix(mode, classical).length();
      if (!RuleParser.isPlainDomain(b, start, to)) {
        return false;
      }
      entries.domain(b, start, to, mode, ++count, line);
      return true;
    }

    void add(String text, String file, int line) {
      count++;
      if (!Objects.equals(origin.file(), file)) {
        origin = new Rule.Origin("provider " + spec.name(), file);
      }
      try {
        Matcher m =
            switch (spec.behavior()) {
              case DOMAIN -> RuleParser.parseDomainEntry(text);
              case IPCIDR -> RuleParser.parseCidrEntry(text);
              case CLASSICAL -> parser.parseEntry(text);
            };
        if (m instanceof Domain d
            && origin == entries.origin()
            && Rule.rewrites(m, classical(), text)) {
          entries.domain(d.domain(), d.mode(), count, line); // packed: most of a list
        } else {
          entries.add(new Rule(m, text, classical(), origin, count, line));
        }
      } catch (BadRule e) {
        if (++bad <= MAX_SHOWN) {
          String subject = "provider " + spec.name() + ": entry " + count;
          skipped.add(new Problem(file, line, subject, text, e.getMessage()));
        }
      }
    }

    /** The mode of a domain list's entry, by its prefix; null if this is not a domain list. */
    private DomainMode domainListMode(byte[] b, int from, int to) {
      if (spec.behavior() != ProviderSpec.Behavior.DOMAIN) {
        return null;
      } else if (ListLines.startsWith(b, from, to, "+.")) {
        return DomainMode.SUFFIX;
      } else if (ListLines.startsWith(b, from, to, "*.")) {
        return DomainMode.ONE_LABEL;
      } else if (ListLines.startsWith(b, from, to, ".")) {
        return DomainMode.SUBDOMAINS;
      }
      return DomainMode.EXACT;
    }

    /** The mode of a classical DOMAIN or DOMAIN-SUFFIX entry, by its type; null for others. */
    private static DomainMode classicalMode(byte[] b, int from, int to) {
      if (ListLines.startsWith(b, from, to, "DOMAIN-SUFFIX,")) {
        return DomainMode.SUFFIX;
      }
      return ListLines.startsWith(b, from, to, "DOMAIN,") ? DomainMode.EXACT : null;
    }

    Parsed finish(List<Problem> problems) {
      List<Problem> warnings = new ArrayList<>();
      if (bad > 0 && entries.size() == 0) {
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
                    + count
                    + " entries skipped"
                    + (bad > MAX_SHOWN ? " (the first " + MAX_SHOWN + " are listed)" : "")));
      }
      return new Parsed(entries.build(), problems, warnings);
    }
  }

  private static void mrsItems(
      ProviderSpec spec, byte[] content, String file, List<Problem> problems, Entries out) {
    try {
      for (String entry : MrsFormat.read(content, spec.behavior())) {
        out.add(entry, file, 0);
      }
    } catch (IOException e) {
      problems.add(Problem.at(file, 0, "", "cannot read mrs list: " + e.getMessage()));
    }
  }

  /** The entries of {@code root}, a YAML mapping with {@code payload:}. */
  private static void yamlItems(
      ProviderSpec spec, YamlMapping root, Problems yaml, List<Problem> problems, Entries out) {
    for (dev.turnout.config.Problem p : yaml.sorted()) {
      problems.add(Problem.at(out.file, p.line(), "", "not valid YAML: " + p.message()));
    }
    YamlNode payload = root.get("payload").orElseThrow();
    if (payload instanceof YamlScalar s && (s.isNull() || s.text().isEmpty())) {
      return; // "payload:" with nothing: an empty list
    }
    if (!(payload instanceof YamlSequence seq)) {
      problems.add(Problem.at(out.file, payload.line(), "", "'payload:' is not a list"));
      return;
    }
    for (YamlNode n : seq.items()) {
      if (n instanceof YamlScalar s) {
        out.add(s.text().strip(), out.file, n.line());
      } else {
        problems.add(Problem.at(out.file, n.line(), "", "a payload entry must be a string"));
      }
    }
  }
}
