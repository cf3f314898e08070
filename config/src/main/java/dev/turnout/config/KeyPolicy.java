package dev.turnout.config;

import java.util.Collection;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a key that Turnout did not read means, for each section of the Clash schema: the one place
 * that decides whether it stops Turnout or is only shown. Like mihomo, Turnout loads a file with
 * keys it does not implement, and says so per key with file and line; it refuses only a key whose
 * absence would route traffic other than the way the user wrote (the message says why). The keys
 * Clash and mihomo know are listed per section in {@link ClashKeys} with that decision and its
 * reason; any other key is unknown, and its severity is the section's. A known key written without
 * effect ({@code false}, {@code 0}, empty) is accepted silently: it asks for what Turnout does.
 */
public enum KeyPolicy {
  TOP_LEVEL(Severity.WARNING, ClashKeys.TOP_LEVEL_IGNORED, Map.of()),
  /** {@code dns:}: a key Turnout does not read is an error, since a DNS key may decide routing. */
  DNS(Severity.ERROR, Map.of(), Map.of()),
  TUN(Severity.WARNING, ClashKeys.TUN_IGNORED, ClashKeys.TUN_REFUSED),
  PROFILE(Severity.WARNING, Map.of(), Map.of()),
  /** {@code sniffer:}. */
  SNIFFER(Severity.WARNING, ClashKeys.SNIFFER_IGNORED, Map.of()),
  /** One protocol of {@code sniffer.sniff:} ({@code TLS:}, {@code HTTP:}). */
  SNIFFER_PROTOCOL(Severity.WARNING, Map.of(), Map.of()),
  /** One entry of {@code rule-providers:}: a misspelt {@code behavior} must not pass. */
  RULE_PROVIDER(Severity.ERROR, Map.of(), Map.of()),
  /** One entry of {@code proxy-providers:}. */
  PROXY_PROVIDER(Severity.WARNING, ClashKeys.PROXY_PROVIDER_IGNORED, Map.of()),
  /**
   * One entry of {@code proxies:}. Keys that would change where traffic goes (plugins, transports)
   * make the proxy unavailable, with their reason, in the outbound module itself.
   */
  PROXY(Severity.WARNING, ClashKeys.PROXY_IGNORED, Map.of()),
  /** One entry of {@code proxy-groups:}; as for proxies. */
  PROXY_GROUP(Severity.WARNING, Map.of(), Map.of());

  private static final int MAX_TYPO_DISTANCE = 2;

  private final Severity unknownKeys;
  private final Map<String, String> ignored;
  private final Map<String, String> refused;

  KeyPolicy(Severity unknownKeys, Map<String, String> ignored, Map<String, String> refused) {
    this.unknownKeys = unknownKeys;
    this.ignored = ignored;
    this.refused = refused;
  }

  /** What a key Turnout neither reads nor knows is in this section. */
  public Severity unknownKeys() {
    return unknownKeys;
  }

  /** True for a key Clash or mihomo have in this section and Turnout accepts without using it. */
  public boolean ignores(String key) {
    return ignored.containsKey(key);
  }

  /** True for a key Turnout refuses because ignoring it would change where traffic goes. */
  public boolean refuses(String key) {
    return refused.containsKey(key);
  }

  /**
   * The keys Clash or mihomo have in this section that Turnout does not read (ignored or refused),
   * sorted. A reader that reads one of them makes its entry dead; tests check that none does.
   */
  public Set<String> listedKeys() {
    Set<String> keys = new TreeSet<>(ignored.keySet());
    keys.addAll(refused.keySet());
    return Collections.unmodifiableSet(keys);
  }

  /** How bad the unread {@code key} is. */
  public Severity severity(String key) {
    if (refused.containsKey(key)) {
      return Severity.ERROR;
    }
    return ignored.containsKey(key) ? Severity.WARNING : unknownKeys;
  }

  /** The message for the unread {@code key}; {@code known} are the keys the section reads. */
  public String message(String key, Collection<String> known) {
    String why = refused.get(key);
    if (why != null) {
      return "not supported: " + why + "; remove it";
    }
    why = ignored.get(key);
    if (why != null) {
      return "accepted and ignored: " + why;
    }
    if (unknownKeys == Severity.ERROR) {
      return "unknown key; expected one of " + String.join(", ", known);
    }
    String near = closest(key, known);
    return near == null
        ? "unknown key, ignored"
        : "unknown key, ignored; did you mean " + near + "?";
  }

  /** The known key {@code key} is most likely a misspelling of, or null. */
  private String closest(String key, Collection<String> known) {
    String best = null;
    int bestDistance = MAX_TYPO_DISTANCE + 1;
    for (Collection<String> keys : java.util.List.of(known, ignored.keySet(), refused.keySet())) {
      for (String candidate : keys) {
        int d = distance(key, candidate);
        if (d < bestDistance
            || d == bestDistance && best != null && candidate.compareTo(best) < 0) {
          best = candidate;
          bestDistance = d;
        }
      }
    }
    return bestDistance <= MAX_TYPO_DISTANCE && key.length() > MAX_TYPO_DISTANCE + 1 ? best : null;
  }

  /** Levenshtein distance, case-insensitive. */
  static int distance(String a, String b) {
    a = a.toLowerCase(java.util.Locale.ROOT);
    b = b.toLowerCase(java.util.Locale.ROOT);
    int[] previous = new int[b.length() + 1];
    int[] current = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      previous[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      current[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int substitute = previous[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
        current[j] = Math.min(substitute, Math.min(previous[j], current[j - 1]) + 1);
      }
      int[] swap = previous;
      previous = current;
      current = swap;
    }
    return previous[b.length()];
  }
}
