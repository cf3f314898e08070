package dev.turnout.rules;

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
  }

  /** Entry number {@code entry} of {@code origin}, written {@code text} on {@code listLine}. */
  Rule(Matcher matcher, String text, Origin origin, int entry, int listLine) {
    this.matcher = matcher;
    this.policy = null;
    this.text = text;
    this.line = text;
    this.source = origin;
    this.entry = entry;
    this.listLine = listLine;
  }

  Matcher matcher() {
    return matcher;
  }

  String policy() {
    return policy;
  }

  String text() {
    return text;
  }

  String line() {
    return line;
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
