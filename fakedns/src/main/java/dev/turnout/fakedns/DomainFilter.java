package dev.turnout.fakedns;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Matches names against Clash {@code fake-ip-filter} patterns (mihomo semantics):
 *
 * <ul>
 *   <li>{@code example.com} — exactly that name;
 *   <li>{@code +.example.com} — the name and all its subdomains;
 *   <li>{@code .example.com} — subdomains only, not the name itself;
 *   <li>{@code *} as a whole label matches exactly one label: {@code *.lan} matches {@code
 *       printer.lan} but neither {@code lan} nor {@code a.printer.lan}. Wildcard labels combine
 *       with the prefixes above ({@code +.*.corp}).
 * </ul>
 *
 * Matching is case-insensitive and ignores a trailing dot, on patterns and names alike. {@code
 * geosite:} and {@code rule-set:} references are not supported and rejected. Immutable and
 * thread-safe.
 */
public final class DomainFilter {
  private static final DomainFilter EMPTY = new DomainFilter(List.of());

  /**
   * Clash's {@code fake-ip-filter-mode}: with {@code BLACKLIST} (the default) matching names get
   * real answers; with {@code WHITELIST} only matching names get fake IPs and all others real ones.
   */
  public enum Mode {
    BLACKLIST,
    WHITELIST;

    /**
     * Parses {@code blacklist} or {@code whitelist}, case-insensitively.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Mode parse(String text) {
      for (Mode m : values()) {
        if (m.name().equalsIgnoreCase(text.strip())) {
          return m;
        }
      }
      throw new IllegalArgumentException(
          "fake-ip-filter-mode must be blacklist or whitelist, got '" + text + "'");
    }
  }

  private enum Kind {
    EXACT,
    SELF_AND_SUBDOMAINS,
    SUBDOMAINS
  }

  private record Pattern(Kind kind, String[] labels) {}

  // Patterns without '*' are looked up by hash; only wildcard patterns are scanned.
  private final Set<String> exact = new HashSet<>();
  private final Set<String> selfAndSubdomains = new HashSet<>();
  private final Set<String> subdomains = new HashSet<>();
  private final List<Pattern> wildcards = new ArrayList<>();

  private DomainFilter(Collection<String> patterns) {
    for (String raw : patterns) {
      add(raw);
    }
  }

  /**
   * Builds a filter from Clash patterns.
   *
   * @throws IllegalArgumentException naming the first pattern that is not one of the forms above
   */
  public static DomainFilter of(Collection<String> patterns) {
    return new DomainFilter(patterns);
  }

  /** A filter that matches nothing. */
  public static DomainFilter empty() {
    return EMPTY;
  }

  /** Whether {@code name} matches any pattern. */
  public boolean matches(String name) {
    String n = Names.normalize(name);
    if (exact.contains(n) || selfAndSubdomains.contains(n)) {
      return true;
    }
    for (int dot = n.indexOf('.'); dot >= 0; dot = n.indexOf('.', dot + 1)) {
      String parent = n.substring(dot + 1);
      if (selfAndSubdomains.contains(parent) || subdomains.contains(parent)) {
        return true;
      }
    }
    if (wildcards.isEmpty()) {
      return false;
    }
    String[] labels = n.isEmpty() ? new String[0] : n.split("\\.", -1);
    for (Pattern p : wildcards) {
      if (wildcardMatches(p, labels)) {
        return true;
      }
    }
    return false;
  }

  private static boolean wildcardMatches(Pattern p, String[] name) {
    String[] pat = p.labels();
    boolean lengthOk =
        switch (p.kind()) {
          case EXACT -> name.length == pat.length;
          case SELF_AND_SUBDOMAINS -> name.length >= pat.length;
          case SUBDOMAINS -> name.length > pat.length;
        };
    if (!lengthOk) {
      return false;
    }
    int shift = name.length - pat.length;
    for (int i = 0; i < pat.length; i++) {
      if (!pat[i].equals("*") && !pat[i].equals(name[i + shift])) {
        return false;
      }
    }
    return true;
  }

  private void add(String raw) {
    String s = raw.strip();
    Kind kind = Kind.EXACT;
    if (s.startsWith("+.")) {
      kind = Kind.SELF_AND_SUBDOMAINS;
      s = s.substring(2);
    } else if (s.startsWith(".")) {
      kind = Kind.SUBDOMAINS;
      s = s.substring(1);
    }
    s = Names.normalize(s);
    String[] labels = s.split("\\.", -1);
    if (s.isEmpty() || s.contains(":") || Arrays.stream(labels).anyMatch(l -> !validLabel(l))) {
      throw new IllegalArgumentException(
          "unsupported fake-ip-filter pattern '"
              + raw
              + "': expected a name (example.com), '+.example.com', '.example.com' or '*' as a"
              + " whole label (*.lan); geosite: and rule-set: are not supported");
    }
    if (Arrays.asList(labels).contains("*")) {
      wildcards.add(new Pattern(kind, labels));
    } else {
      switch (kind) {
        case EXACT -> exact.add(s);
        case SELF_AND_SUBDOMAINS -> selfAndSubdomains.add(s);
        case SUBDOMAINS -> subdomains.add(s);
      }
    }
  }

  private static boolean validLabel(String label) {
    return label.equals("*") || (!label.isEmpty() && label.indexOf('*') < 0);
  }
}
