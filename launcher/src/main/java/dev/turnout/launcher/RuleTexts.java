package dev.turnout.launcher;

import java.util.Locale;
import java.util.Map;

/**
 * Clash rule text as the dashboards show rules: mihomo's type names ({@code DOMAIN-SUFFIX} is
 * {@code DomainSuffix}, {@code IP-CIDR6} is {@code IPCIDR}, ...), the payload, and the policy.
 * Logical rules keep their parenthesised payload whole. Stateless.
 */
final class RuleTexts {
  /** A rule split for display: type, payload ("" for MATCH) and policy ("" when not written). */
  record Parts(String type, String payload, String policy) {}

  private static final Map<String, String> TYPES =
      Map.ofEntries(
          Map.entry("DOMAIN", "Domain"),
          Map.entry("DOMAIN-SUFFIX", "DomainSuffix"),
          Map.entry("DOMAIN-KEYWORD", "DomainKeyword"),
          Map.entry("DOMAIN-REGEX", "DomainRegex"),
          Map.entry("DOMAIN-WILDCARD", "DomainWildcard"),
          Map.entry("GEOSITE", "GeoSite"),
          Map.entry("GEOIP", "GeoIP"),
          Map.entry("SRC-GEOIP", "SrcGeoIP"),
          Map.entry("IP-ASN", "IPASN"),
          Map.entry("SRC-IP-ASN", "SrcIPASN"),
          Map.entry("IP-CIDR", "IPCIDR"),
          Map.entry("IP-CIDR6", "IPCIDR"),
          Map.entry("SRC-IP-CIDR", "SrcIPCIDR"),
          Map.entry("IP-SUFFIX", "IPSuffix"),
          Map.entry("SRC-IP-SUFFIX", "SrcIPSuffix"),
          Map.entry("SRC-PORT", "SrcPort"),
          Map.entry("DST-PORT", "DstPort"),
          Map.entry("IN-PORT", "InPort"),
          Map.entry("IN-TYPE", "InType"),
          Map.entry("IN-NAME", "InName"),
          Map.entry("IN-USER", "InUser"),
          Map.entry("PROCESS-NAME", "ProcessName"),
          Map.entry("PROCESS-PATH", "ProcessPath"),
          Map.entry("PROCESS-NAME-REGEX", "ProcessNameRegex"),
          Map.entry("PROCESS-PATH-REGEX", "ProcessPathRegex"),
          Map.entry("PROCESS-NAME-WILDCARD", "ProcessNameWildcard"),
          Map.entry("PROCESS-PATH-WILDCARD", "ProcessPathWildcard"),
          Map.entry("RULE-SET", "RuleSet"),
          Map.entry("NETWORK", "Network"),
          Map.entry("UID", "Uid"),
          Map.entry("DSCP", "DSCP"),
          Map.entry("SRC-MAC", "SrcMAC"),
          Map.entry("SUB-RULE", "SubRules"),
          Map.entry("MATCH", "Match"),
          Map.entry("AND", "AND"),
          Map.entry("OR", "OR"),
          Map.entry("NOT", "NOT"));

  private RuleTexts() {}

  /**
   * mihomo's name of a Clash rule type; unknown ones in the same style ({@code FOO-BAR}: FooBar).
   */
  static String typeName(String clash) {
    String upper = clash.trim().toUpperCase(Locale.ROOT);
    String known = TYPES.get(upper);
    if (known != null) {
      return known;
    }
    StringBuilder sb = new StringBuilder();
    for (String word : upper.split("-")) {
      if (!word.isEmpty()) {
        sb.append(word.charAt(0)).append(word.substring(1).toLowerCase(Locale.ROOT));
      }
    }
    return sb.toString();
  }

  /**
   * Splits {@code TYPE,PAYLOAD,POLICY[,options]}, {@code MATCH,POLICY} or {@code
   * AND,((...),(...)),POLICY}; with {@code withPolicy} false the text has no policy (a route's
   * rule, e.g. {@code DOMAIN-SUFFIX,example.com}).
   */
  static Parts split(String text, boolean withPolicy) {
    String t = text.trim();
    int comma = t.indexOf(',');
    String type = comma < 0 ? t : t.substring(0, comma);
    String rest = comma < 0 ? "" : t.substring(comma + 1).trim();
    String name = typeName(type);
    if (name.equals("Match")) {
      return new Parts(name, "", withPolicy ? firstField(rest) : "");
    }
    String payload;
    String after;
    if (rest.startsWith("(")) {
      int end = closingParen(rest);
      payload = rest.substring(0, end + 1);
      after = rest.substring(end + 1);
      after = after.startsWith(",") ? after.substring(1) : after;
    } else {
      int next = rest.indexOf(',');
      payload = next < 0 ? rest : rest.substring(0, next);
      after = next < 0 ? "" : rest.substring(next + 1);
    }
    return new Parts(name, payload.trim(), withPolicy ? firstField(after) : "");
  }

  private static String firstField(String text) {
    int comma = text.indexOf(',');
    return (comma < 0 ? text : text.substring(0, comma)).trim();
  }

  /** The index of the parenthesis closing the one at 0, or the last index when unbalanced. */
  private static int closingParen(String text) {
    int depth = 0;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return text.length() - 1;
  }
}
