package dev.turnout.rules;

import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import dev.turnout.rules.Matchers.Keyword;
import dev.turnout.rules.Matchers.Regex;
import dev.turnout.rules.RuleException.Problem;
import dev.turnout.rules.RuleParser.BadRule;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * The geosite lists that rules and domain sets name, as rule-set entries: {@code cn}, {@code
 * cn@ads} (only the domains carrying every attribute named after {@code @}; {@code @!cn} is the
 * attribute literally called {@code !cn} in domain-list-community), several joined by {@code /}.
 * The file is opened on first use and each list is decoded once. Entries whose value cannot be used
 * (an invalid domain or regular expression) are skipped and counted in {@link #warnings}.
 * Thread-safe.
 */
final class GeoSites {
  /** Prefix of the names under which geosite lists sit beside the rule providers. */
  static final String KEY_PREFIX = "GEOSITE,";

  private final Path file;
  private volatile GeoSiteFile opened;
  private final Map<String, List<Rule>> sets = new ConcurrentHashMap<>();
  private final List<Problem> warnings = new ArrayList<>();

  /** {@code file} may be null: then every list is an error that says how to configure one. */
  GeoSites(Path file) {
    this.file = file;
  }

  /** Normalizes {@code spec} ({@code CN@Ads/google}) to its key, {@code GEOSITE,cn@ads/google}. */
  static String key(String spec) {
    return KEY_PREFIX + spec.strip().toLowerCase(Locale.ROOT);
  }

  /**
   * The entries of the lists in {@code spec} (without a leading {@code !}), loading them if needed;
   * returns the key under which {@link #loaded()} holds them.
   */
  String load(String spec) throws BadRule {
    String key = key(spec);
    if (sets.containsKey(key)) {
      return key;
    }
    List<Rule> entries = new ArrayList<>();
    for (String part : spec.strip().toLowerCase(Locale.ROOT).split("/", -1)) {
      entries.addAll(list(part.strip()));
    }
    sets.putIfAbsent(key, List.copyOf(entries));
    return key;
  }

  /** Every list loaded so far, by key. */
  Map<String, List<Rule>> loaded() {
    return Map.copyOf(sets);
  }

  synchronized List<Problem> warnings() {
    return List.copyOf(warnings);
  }

  private List<Rule> list(String spec) throws BadRule {
    String[] parts = spec.split("@", -1);
    String name = parts[0].strip();
    if (name.isEmpty()) {
      throw new BadRule("empty geosite list name in '" + spec + "'");
    }
    List<String> attributes = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      if (!parts[i].isBlank()) {
        attributes.add(parts[i].strip());
      }
    }
    GeoSiteFile f = file();
    Optional<List<GeoSiteFile.Entry>> found;
    try {
      found = f.list(name);
    } catch (IOException e) {
      throw new BadRule(e.getMessage());
    }
    if (found.isEmpty()) {
      throw new BadRule("no list '" + name + "' in " + f.path() + " (" + f.size() + " lists)");
    }
    String where = f.path().toString();
    Rule.Origin origin = new Rule.Origin("geosite " + spec, where);
    List<Rule> out = new ArrayList<>();
    int skipped = 0;
    String firstSkipped = null;
    int n = 0;
    for (GeoSiteFile.Entry e : found.get()) {
      n++;
      if (!e.attributes().containsAll(attributes)) {
        continue;
      }
      try {
        out.add(new Rule(matcher(e), e.text(), false, origin, n, 0));
      } catch (BadRule bad) {
        skipped++;
        firstSkipped = firstSkipped == null ? e.text() + ": " + bad.getMessage() : firstSkipped;
      }
    }
    if (skipped > 0) {
      warn(where, "geosite " + spec, skipped + " entries skipped, first: " + firstSkipped);
    }
    if (out.isEmpty() && !attributes.isEmpty()) {
      warn(where, "geosite " + spec, "no entry of '" + name + "' has attributes " + attributes);
    }
    return out;
  }

  private synchronized void warn(String where, String subject, String message) {
    warnings.add(new Problem(where, 0, subject, "", message));
  }

  private GeoSiteFile file() throws BadRule {
    GeoSiteFile f = opened;
    if (f != null) {
      return f;
    }
    if (file == null) {
      throw new BadRule(
          "GEOSITE needs a geosite.dat: put it beside the config or set geosite-database"
              + " (run downloads a missing one from geox-url first)");
    }
    synchronized (this) {
      if (opened == null) {
        try {
          opened = GeoSiteFile.open(file);
        } catch (IOException e) {
          throw new BadRule("cannot read geosite database " + file + ": " + e.getMessage());
        }
      }
      return opened;
    }
  }

  private static Matcher matcher(GeoSiteFile.Entry e) throws BadRule {
    String v = e.value();
    switch (e.kind()) {
      case PLAIN:
        if (v.isEmpty()) {
          throw new BadRule("empty keyword");
        }
        return new Keyword(v.toLowerCase(Locale.ROOT));
      case REGEX:
        try {
          return new Regex(Pattern.compile(v));
        } catch (PatternSyntaxException ex) {
          throw new BadRule("bad regular expression: " + ex.getDescription());
        }
      case DOMAIN:
        return new Domain(RuleParser.domain(v), DomainMode.SUFFIX);
      default:
        return new Domain(RuleParser.domain(v), DomainMode.EXACT);
    }
  }
}
