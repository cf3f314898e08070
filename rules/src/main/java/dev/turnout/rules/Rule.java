package dev.turnout.rules;

import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import dev.turnout.rules.Matchers.Keyword;

/**
 * A parsed rule: a config rule ({@code policy} set) or a provider entry ({@code policy} null).
 * Immutable.
 *
 * <p>A provider entry does not hold its {@link #source()} text but where it comes from, and makes
 * the text when asked: lists have 100,000s of entries, and the text is wanted only for the few that
 * decide a connection someone looks at.
 */
final class Rule {
  private final Matcher matcher;
  private final String policy;
  private final String text;
  private final String line;
  private final Object source; // a String, or the Origin of an entry
  private final int entry; // of an entry: its 1-based number, and its line in the list (0: none)
  private final int listLine;
  private final boolean classical; // of an entry without text: the kind of list it is written in

  /** How a domain entry is written in a domain list, by {@link DomainMode}. */
  private static final String[] IN_DOMAIN_LIST = {"", "+.", ".", "*."};

  /** How a domain entry is written in a classical list, by {@link DomainMode}; null: otherwise. */
  private static final String[] IN_CLASSICAL_LIST = {"DOMAIN,", "DOMAIN-SUFFIX,", null, null};

  private static final String KEYWORD = "DOMAIN-KEYWORD,";

  /** A provider entry's origin: {@code provider NAME: entry N (FILE:LINE)}. */
  record Origin(String subject, String file) {}

  /**
   * @param text Clash text without the policy, e.g. {@code DOMAIN-SUFFIX,example.com}; for provider
   *     entries the entry as written
   * @param line the rule as written, trimmed, policy included
   * @param source {@code config.yaml:42} or {@code provider ads: entry 17 (ads.yaml:19)}
   */
  Rule(Matcher matcher, String policy, String text, String line, String source) {
    this.matcher = matcher;
    this.policy = policy;
    this.text = text;
    this.line = line;
    this.source = source;
    this.entry = 0;
    this.listLine = 0;
    this.classical = false;
  }

  /**
   * Entry number {@code entry} of {@code origin}, a {@code classical} list or not, written {@code
   * text} on {@code listLine}. An entry written as its matcher would be written (most of a list)
   * does not keep its text but writes it again when asked.
   */
  Rule(Matcher matcher, String text, boolean classical, Origin origin, int entry, int listLine) {
    this(
        origin,
        matcher,
        rewrites(matcher, classical, text) ? null : text,
        classical,
        entry,
        listLine);
  }

  /** An entry keeping {@code text}, or writing it again from the matcher if null. */
  private Rule(
      Origin origin, Matcher matcher, String text, boolean classical, int entry, int listLine) {
    this.matcher = matcher;
    this.policy = null;
    this.classical = classical;
    this.text = text;
    this.line = null;
    this.source = origin;
    this.entry = entry;
    this.listLine = listLine;
  }

  /**
   * Entry number {@code entry} of {@code origin} on {@code listLine}, written as {@code matcher}
   * writes it in a {@code classical} list or a domain list (so that {@link #rewrites} holds).
   */
  static Rule entry(Matcher matcher, boolean classical, Origin origin, int entry, int listLine) {
    return new Rule(origin, matcher, null, classical, entry, listLine);
  }

  /** True if {@link #text()} would write {@code text} again from the matcher. */
  static boolean rewrites(Matcher m, boolean classical, String text) {
    String prefix = prefix(m, classical);
    if (prefix == null) {
      return false;
    }
    String payload = payload(m);
    return text.length() == prefix.length() + payload.length()
        && text.startsWith(prefix)
        && text.endsWith(payload);
  }

  /** How a domain entry in {@code mode} is written before its domain; null: not in such a list. */
  static String prefix(DomainMode mode, boolean classical) {
    return (classical ? IN_CLASSICAL_LIST : IN_DOMAIN_LIST)[mode.ordinal()];
  }

  private static String prefix(Matcher m, boolean classical) {
    if (m instanceof Domain d) {
      return (classical ? IN_CLASSICAL_LIST : IN_DOMAIN_LIST)[d.mode().ordinal()];
    }
    return m instanceof Keyword && classical ? KEYWORD : null;
  }

  private static String payload(Matcher m) {
    return m instanceof Domain d ? d.domain() : ((Keyword) m).keyword();
  }

  Matcher matcher() {
    return matcher;
  }

  String policy() {
    return policy;
  }

  String text() {
    return text != null ? text : prefix(matcher, classical) + payload(matcher);
  }

  String line() {
    return line != null ? line : text();
  }

  String source() {
    if (source instanceof String s) {
      return s;
    }
    Origin l = (Origin) source;
    String where = listLine > 0 ? l.file() + ":" + listLine : l.file();
    return l.subject() + ": entry " + entry + " (" + where + ")";
  }
}
