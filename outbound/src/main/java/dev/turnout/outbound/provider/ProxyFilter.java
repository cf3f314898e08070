package dev.turnout.outbound.provider;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Which proxies of a provider a provider or a group takes, as mihomo writes it: {@code filter}
 * (regular expressions joined by a backquote; a name matching any is kept), {@code exclude-filter}
 * (likewise; a name matching any is dropped) and {@code exclude-type} (types joined by {@code |},
 * any letter case, as written in {@code type:} or as mihomo names them: {@code ss} or {@code
 * Shadowsocks}). Patterns find a match anywhere in the name, as Go's regexp does. Immutable.
 */
public final class ProxyFilter {
  public static final ProxyFilter ALL = new ProxyFilter(List.of(), List.of(), Set.of());

  /** mihomo's adapter names for the {@code type:} values, lower case. */
  private static final Map<String, String> ADAPTER_NAMES =
      Map.ofEntries(
          Map.entry("ss", "shadowsocks"),
          Map.entry("ssr", "shadowsocksr"),
          Map.entry("socks5", "socks5"),
          Map.entry("http", "http"),
          Map.entry("vmess", "vmess"),
          Map.entry("vless", "vless"),
          Map.entry("trojan", "trojan"),
          Map.entry("snell", "snell"),
          Map.entry("hysteria", "hysteria"),
          Map.entry("hysteria2", "hysteria2"),
          Map.entry("tuic", "tuic"),
          Map.entry("wireguard", "wireguard"),
          Map.entry("ssh", "ssh"),
          Map.entry("mieru", "mieru"),
          Map.entry("anytls", "anytls"));

  /** A pattern that does not compile, with the key it was written under. */
  public static final class BadPattern extends IllegalArgumentException {
    private final String key;

    BadPattern(String key, String message) {
      super(message);
      this.key = key;
    }

    /** {@code filter} or {@code exclude-filter}. */
    public String key() {
      return key;
    }
  }

  private final List<Pattern> include;
  private final List<Pattern> exclude;
  private final Set<String> excludeTypes;

  private ProxyFilter(List<Pattern> include, List<Pattern> exclude, Set<String> excludeTypes) {
    this.include = include;
    this.exclude = exclude;
    this.excludeTypes = excludeTypes;
  }

  /**
   * The filter of the three keys; each may be null.
   *
   * @throws BadPattern naming the key and the pattern that is not valid
   */
  public static ProxyFilter of(String filter, String excludeFilter, String excludeType) {
    Set<String> types = new TreeSet<>();
    if (excludeType != null) {
      for (String t : excludeType.split("\\|")) {
        if (!t.isBlank()) {
          types.add(canonical(t.strip()));
        }
      }
    }
    List<Pattern> include = patterns("filter", filter);
    List<Pattern> exclude = patterns("exclude-filter", excludeFilter);
    if (include.isEmpty() && exclude.isEmpty() && types.isEmpty()) {
      return ALL;
    }
    return new ProxyFilter(include, exclude, Set.copyOf(types));
  }

  private static List<Pattern> patterns(String key, String text) {
    List<Pattern> out = new ArrayList<>();
    if (text == null || text.isEmpty()) {
      return out;
    }
    for (String p : text.split("`")) {
      if (p.isEmpty()) {
        continue;
      }
      try {
        out.add(Pattern.compile(p));
      } catch (PatternSyntaxException e) {
        throw new BadPattern(
            key, "not a valid regular expression: " + e.getDescription() + ": " + p);
      }
    }
    return List.copyOf(out);
  }

  /** True when a proxy called {@code name} of type {@code type} passes. */
  public boolean accepts(String name, String type) {
    if (!excludeTypes.isEmpty() && type != null && excludeTypes.contains(canonical(type))) {
      return false;
    }
    for (Pattern p : exclude) {
      if (p.matcher(name).find()) {
        return false;
      }
    }
    if (include.isEmpty()) {
      return true;
    }
    for (Pattern p : include) {
      if (p.matcher(name).find()) {
        return true;
      }
    }
    return false;
  }

  /** {@code ss} and {@code Shadowsocks} alike as {@code shadowsocks}. */
  private static String canonical(String type) {
    String t = type.toLowerCase(Locale.ROOT);
    return ADAPTER_NAMES.getOrDefault(t, t);
  }

  /** True when it keeps everything. */
  public boolean isAll() {
    return this == ALL;
  }
}
