package dev.turnout.fakedns;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * mihomo's {@code fake-ip-filter-mode: rule}: the {@code fake-ip-filter} entries are rules, {@code
 * TYPE,VALUE,ACTION}, whose action is {@code fake-ip} or {@code real-ip}, and the first that
 * matches a name decides whether it gets a real answer; none matching, it gets a fake IP. As in
 * mihomo only name rules are allowed: {@code DOMAIN}, {@code DOMAIN-SUFFIX}, {@code
 * DOMAIN-KEYWORD}, {@code DOMAIN-REGEX} (found anywhere in the name), {@code DOMAIN-WILDCARD}
 * ({@code *} any characters, {@code ?} one), {@code RULE-SET} (a domain or classical provider,
 * found through {@link DomainSets}) and {@code MATCH,ACTION}. Names compare case-insensitively,
 * without a trailing dot. Immutable and thread-safe.
 */
public final class FakeIpRules {
  private record Rule(Predicate<String> matches, boolean realIp) {}

  private final List<Rule> rules;

  private FakeIpRules(List<Rule> rules) {
    this.rules = rules;
  }

  /**
   * Reads {@code lines}, resolving {@code RULE-SET} entries through {@code sets}.
   *
   * @throws IllegalArgumentException naming the first entry that is not such a rule, or whose set
   *     cannot be found
   */
  public static FakeIpRules of(List<String> lines, DomainSets sets) {
    List<Rule> rules = new ArrayList<>();
    for (String line : lines) {
      rules.add(rule(line, sets));
    }
    return new FakeIpRules(List.copyOf(rules));
  }

  private static Rule rule(String line, DomainSets sets) {
    String[] parts = line.split(",", -1);
    String type = parts[0].strip().toUpperCase(Locale.ROOT);
    int actionAt = type.equals("MATCH") ? 1 : 2;
    if (parts.length <= actionAt) {
      throw new IllegalArgumentException(
          "'" + line + "': expected TYPE,VALUE,fake-ip|real-ip or MATCH,fake-ip|real-ip");
    }
    String action = parts[actionAt].strip().toLowerCase(Locale.ROOT);
    if (!action.equals("fake-ip") && !action.equals("real-ip")) {
      throw new IllegalArgumentException(
          "'" + line + "': the action must be fake-ip or real-ip, not '" + parts[actionAt] + "'");
    }
    boolean realIp = action.equals("real-ip");
    if (type.equals("MATCH")) {
      return new Rule(name -> true, realIp);
    }
    String value = parts[1].strip();
    String lower = Names.normalize(value);
    Predicate<String> matches =
        switch (type) {
          case "DOMAIN" -> lower::equals;
          case "DOMAIN-SUFFIX" -> name -> name.equals(lower) || name.endsWith("." + lower);
          case "DOMAIN-KEYWORD" -> name -> name.contains(lower);
          case "DOMAIN-REGEX" -> regex(line, value).asPredicate();
          case "DOMAIN-WILDCARD" -> wildcard(lower).asMatchPredicate();
          case "RULE-SET" -> sets.named(DomainSets.Kind.RULE_SET, value)::contains;
          default ->
              throw new IllegalArgumentException(
                  "'"
                      + line
                      + "': only DOMAIN, DOMAIN-SUFFIX, DOMAIN-KEYWORD, DOMAIN-REGEX,"
                      + " DOMAIN-WILDCARD, RULE-SET and MATCH decide fake-ip or real-ip");
        };
    if (value.isEmpty()) {
      throw new IllegalArgumentException("'" + line + "': no value");
    }
    return new Rule(matches, realIp);
  }

  private static Pattern regex(String line, String value) {
    try {
      return Pattern.compile(value, Pattern.CASE_INSENSITIVE);
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException(
          "'" + line + "': not a regular expression: " + e.getDescription());
    }
  }

  private static Pattern wildcard(String glob) {
    StringBuilder re = new StringBuilder();
    for (char c : glob.toCharArray()) {
      switch (c) {
        case '*' -> re.append(".*");
        case '?' -> re.append('.');
        default -> re.append(Pattern.quote(String.valueOf(c)));
      }
    }
    return Pattern.compile(re.toString());
  }

  /** Whether {@code name} gets a real answer: the first rule matching it says real-ip. */
  public boolean realIp(String name) {
    String n = Names.normalize(name);
    for (Rule r : rules) {
      if (r.matches.test(n)) {
        return r.realIp;
      }
    }
    return false;
  }
}
