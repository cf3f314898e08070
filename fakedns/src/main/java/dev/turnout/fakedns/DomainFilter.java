package dev.turnout.fakedns;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Matches names against Clash {@code fake-ip-filter} patterns (mihomo semantics): the domain
 * patterns of {@link DomainTrie} ({@code example.com}, {@code +.example.com}, {@code .example.com},
 * {@code *} as a whole label), and references to named sets, {@code geosite:cn} (also {@code
 * geosite:cn,private}, {@code geosite:!cn}) and {@code rule-set:name}, found through {@link
 * DomainSets}. A name matches when any pattern or set does. Matching is case-insensitive and
 * ignores a trailing dot, on patterns and names alike. Immutable and thread-safe (the sets are
 * thread-safe by contract).
 */
public final class DomainFilter {
  private static final DomainFilter EMPTY = new DomainFilter(new DomainTrie<>(), List.of(), null);

  /**
   * Clash's {@code fake-ip-filter-mode}: with {@code BLACKLIST} (the default) matching names get
   * real answers; with {@code WHITELIST} only matching names get fake IPs and all others real ones.
   */
  public enum Mode {
    BLACKLIST,
    WHITELIST;

    /**
     * Parses {@code blacklist} or {@code whitelist}, case-insensitively, and {@code rule}, which is
     * {@code BLACKLIST} over the filter of {@link FakeIpRules} (it matches the names that get real
     * answers).
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Mode parse(String text) {
      if (text.strip().equalsIgnoreCase("rule")) {
        return BLACKLIST;
      }
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(text.strip())) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "fake-ip-filter-mode must be blacklist, whitelist or rule, got '" + text + "'");
    }
  }

  private final DomainTrie<Boolean> patterns;
  private final List<DomainSet> sets;
  private final FakeIpRules rules; // fake-ip-filter-mode: rule; null for patterns and sets

  private DomainFilter(DomainTrie<Boolean> patterns, List<DomainSet> sets, FakeIpRules rules) {
    this.patterns = patterns;
    this.sets = sets;
    this.rules = rules;
  }

  /**
   * The filter of {@code fake-ip-filter-mode: rule}: a name matches when the rules give it a real
   * answer (use it with {@link Mode#BLACKLIST}).
   */
  public static DomainFilter of(FakeIpRules rules) {
    return new DomainFilter(new DomainTrie<>(), List.of(), rules);
  }

  /**
   * Builds a filter from Clash patterns without set references.
   *
   * @throws IllegalArgumentException naming the first pattern that is not one of the forms above,
   *     or that refers to a set
   */
  public static DomainFilter of(Collection<String> patterns) {
    return of(patterns, DomainSets.NONE);
  }

  /**
   * Builds a filter from Clash patterns, resolving {@code geosite:} and {@code rule-set:} entries
   * through {@code sets}.
   *
   * @throws IllegalArgumentException naming the first entry that is not a pattern or whose set
   *     cannot be found
   */
  public static DomainFilter of(Collection<String> patterns, DomainSets sets) {
    DomainTrie<Boolean> trie = new DomainTrie<>();
    List<DomainSet> found = new ArrayList<>();
    for (String raw : patterns) {
      List<SetReference> references = SetReference.parse(raw);
      if (references != null) {
        for (SetReference r : references) {
          found.add(r.resolve(sets));
        }
        continue;
      }
      try {
        trie.put(raw, Boolean.TRUE);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unsupported fake-ip-filter pattern '"
                + raw
                + "': expected a name (example.com), '+.example.com', '.example.com', '*' as a"
                + " whole label (*.lan), geosite:NAME or rule-set:NAME");
      }
    }
    return new DomainFilter(trie, List.copyOf(found), null);
  }

  /** A filter that matches nothing. */
  public static DomainFilter empty() {
    return EMPTY;
  }

  /** Whether {@code name} matches any pattern or set. */
  public boolean matches(String name) {
    if (rules != null) {
      return rules.realIp(name);
    }
    if (patterns.get(name) != null) {
      return true;
    }
    if (sets.isEmpty()) {
      return false;
    }
    String n = Names.normalize(name);
    for (DomainSet set : sets) {
      if (set.contains(n)) {
        return true;
      }
    }
    return false;
  }
}
