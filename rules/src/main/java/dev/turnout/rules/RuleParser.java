package dev.turnout.rules;

import dev.turnout.rules.Addresses.Prefix;
import dev.turnout.rules.Matchers.All;
import dev.turnout.rules.Matchers.Asn;
import dev.turnout.rules.Matchers.Cidr;
import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import dev.turnout.rules.Matchers.GeoIp;
import dev.turnout.rules.Matchers.Keyword;
import dev.turnout.rules.Matchers.Logic;
import dev.turnout.rules.Matchers.LogicOp;
import dev.turnout.rules.Matchers.Net;
import dev.turnout.rules.Matchers.Port;
import dev.turnout.rules.Matchers.Process;
import dev.turnout.rules.Matchers.Regex;
import dev.turnout.rules.Matchers.RuleSetRef;
import java.net.IDN;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Parses Clash rule text: {@code TYPE,PAYLOAD,POLICY[,no-resolve]} in the config, {@code
 * TYPE,PAYLOAD[,no-resolve]} in classical providers and inside logic rules, and the entries of
 * domain and ipcidr providers. Fields are trimmed; types and options are case-insensitive. A
 * DOMAIN-REGEX payload may contain commas (the policy is the last field that is not an option).
 */
final class RuleParser {
  /** A rule that cannot be parsed; the message says what is wrong, for the user. */
  static final class BadRule extends Exception {
    private static final long serialVersionUID = 1L;

    BadRule(String message) {
      super(message, null, false, false);
    }
  }

  static final List<String> TYPES =
      List.of(
          "DOMAIN",
          "DOMAIN-SUFFIX",
          "DOMAIN-KEYWORD",
          "DOMAIN-REGEX",
          "IP-CIDR",
          "IP-CIDR6",
          "SRC-IP-CIDR",
          "DST-PORT",
          "SRC-PORT",
          "NETWORK",
          "PROCESS-NAME",
          "PROCESS-PATH",
          "GEOIP",
          "IP-ASN",
          "RULE-SET",
          "AND",
          "OR",
          "NOT",
          "MATCH");
  private static final String NO_RESOLVE = "no-resolve";

  private final Set<String> policies;
  private final Set<String> providers;
  private final boolean hasGeoDb;
  private final boolean hasAsnDb;

  RuleParser(Set<String> policies, Set<String> providers, boolean hasGeoDb, boolean hasAsnDb) {
    this.policies = policies;
    this.providers = providers;
    this.hasGeoDb = hasGeoDb;
    this.hasAsnDb = hasAsnDb;
  }

  /** A config rule, with its policy. */
  Rule parseRule(String text, String source) throws BadRule {
    String line = text.strip();
    Parts p = split(line, true);
    if (!policies.contains(p.policy)) {
      String hint =
          policies.stream()
              .filter(known -> known.equalsIgnoreCase(p.policy))
              .findFirst()
              .map(known -> " (did you mean '" + known + "'?)")
              .orElse("");
      throw new BadRule("unknown policy '" + p.policy + "'" + hint);
    }
    Matcher m = matcher(p.type, p.payload, p.noResolve, Where.CONFIG);
    String canonical =
        p.type + (p.payload.isEmpty() ? "" : "," + p.payload) + (p.noResolve ? ",no-resolve" : "");
    return new Rule(m, p.policy, canonical, line, source);
  }

  /** An entry of a classical provider: a rule without policy; no RULE-SET or MATCH. */
  Matcher parseEntry(String text) throws BadRule {
    Parts p = split(text.strip(), false);
    if (p.type.equals("RULE-SET") || p.type.equals("MATCH")) {
      throw new BadRule(p.type + " is not allowed in a rule provider");
    }
    return matcher(p.type, p.payload, p.noResolve, Where.PROVIDER);
  }

  /** Where a rule is written: RULE-SET cannot nest in providers, MATCH only stands alone. */
  private enum Where {
    CONFIG,
    SUB_RULE,
    PROVIDER
  }

  /**
   * An entry of a domain provider: {@code a.com}, {@code +.a.com}, {@code .a.com}, {@code *.a.com}.
   */
  static Matcher parseDomainEntry(String text) throws BadRule {
    String s = text.strip();
    if (s.startsWith("+.")) {
      return new Domain(domain(s.substring(2)), DomainMode.SUFFIX);
    }
    if (s.startsWith("*.") && s.indexOf('*', 1) < 0) {
      return new Domain(domain(s.substring(2)), DomainMode.ONE_LABEL);
    }
    if (s.indexOf('*') >= 0) {
      return wildcard(s);
    }
    if (s.startsWith(".")) {
      return new Domain(domain(s.substring(1)), DomainMode.SUBDOMAINS);
    }
    return new Domain(domain(s), DomainMode.EXACT);
  }

  /** An entry of an ipcidr provider. */
  static Matcher parseCidrEntry(String text) throws BadRule {
    return new Cidr(prefix(text.strip()), false, false);
  }

  private record Parts(String type, String payload, String policy, boolean noResolve) {}

  private static Parts split(String line, boolean withPolicy) throws BadRule {
    if (line.isEmpty()) {
      throw new BadRule("empty rule");
    }
    int comma = line.indexOf(',');
    String type = (comma < 0 ? line : line.substring(0, comma)).strip().toUpperCase(Locale.ROOT);
    if (type.equals("FINAL")) {
      type = "MATCH";
    }
    if (!TYPES.contains(type)) {
      throw new BadRule("unknown rule type '" + type + "'");
    }
    String rest = comma < 0 ? null : line.substring(comma + 1);
    String payload;
    List<String> fields;
    if (type.equals("AND") || type.equals("OR") || type.equals("NOT")) {
      String r = rest == null ? "" : rest.strip();
      int close = r.startsWith("(") ? closing(r, 0) : -2;
      if (close == -2) {
        throw new BadRule(type + " needs sub-rules written ((RULE),(RULE))");
      }
      if (close < 0) {
        throw new BadRule("unbalanced parentheses");
      }
      payload = r.substring(0, close + 1);
      String tail = r.substring(close + 1).strip();
      if (!tail.isEmpty() && !tail.startsWith(",")) {
        throw new BadRule("unexpected text after the sub-rules: '" + tail + "'");
      }
      fields = tail.isEmpty() ? new ArrayList<>() : fields(tail.substring(1));
    } else if (type.equals("MATCH")) {
      payload = "";
      fields = rest == null ? new ArrayList<>() : fields(rest);
    } else {
      if (rest == null || rest.isBlank()) {
        throw new BadRule(type + " needs a payload");
      }
      fields = fields(rest);
      if (type.equals("DOMAIN-REGEX")) { // the pattern may contain commas
        int end = fields.size();
        while (end > 1 && fields.get(end - 1).equalsIgnoreCase(NO_RESOLVE)) {
          end--;
        }
        int payloadEnd = withPolicy ? Math.max(1, end - 1) : end;
        payload = String.join(",", fields.subList(0, payloadEnd));
        fields = new ArrayList<>(fields.subList(payloadEnd, fields.size()));
      } else {
        payload = fields.remove(0);
      }
    }
    String policy = null;
    if (withPolicy) {
      if (fields.isEmpty() || fields.get(0).isEmpty()) {
        throw new BadRule("missing policy");
      }
      policy = fields.remove(0);
    }
    boolean noResolve = false;
    for (String option : fields) {
      if (option.equalsIgnoreCase(NO_RESOLVE)) {
        noResolve = true;
      } else if (!withPolicy && option.isEmpty()) {
        throw new BadRule("empty field");
      } else {
        throw new BadRule(
            withPolicy
                ? "unknown option '" + option + "'"
                : "unexpected field '"
                    + option
                    + "' (provider entries and sub-rules take no"
                    + " policy)");
      }
    }
    return new Parts(type, payload, policy, noResolve);
  }

  private Matcher matcher(String type, String payload, boolean noResolve, Where where)
      throws BadRule {
    switch (type) {
      case "DOMAIN":
        return new Domain(domain(payload), DomainMode.EXACT);
      case "DOMAIN-SUFFIX":
        return new Domain(domain(withoutLeadingDots(payload)), DomainMode.SUFFIX);
      case "DOMAIN-KEYWORD":
        if (payload.isEmpty()) {
          throw new BadRule("empty keyword");
        }
        return new Keyword(payload.toLowerCase(Locale.ROOT));
      case "DOMAIN-REGEX":
        try {
          return new Regex(Pattern.compile(payload));
        } catch (PatternSyntaxException e) {
          throw new BadRule("bad regular expression: " + e.getDescription());
        }
      case "IP-CIDR":
      case "IP-CIDR6":
        return new Cidr(prefix(payload), false, noResolve);
      case "SRC-IP-CIDR":
        return new Cidr(prefix(payload), true, true);
      case "DST-PORT":
      case "SRC-PORT":
        return new Port(ports(payload), type.equals("SRC-PORT"));
      case "NETWORK":
        try {
          return new Net(Network.valueOf(payload.toUpperCase(Locale.ROOT)));
        } catch (IllegalArgumentException e) {
          throw new BadRule("NETWORK is tcp or udp, not '" + payload + "'");
        }
      case "PROCESS-NAME":
      case "PROCESS-PATH":
        return new Process(payload, type.equals("PROCESS-PATH"));
      case "GEOIP":
        return geoIp(payload, noResolve);
      case "IP-ASN":
        return asn(payload, noResolve);
      case "RULE-SET":
        if (where == Where.PROVIDER) {
          throw new BadRule("RULE-SET is not allowed in a rule provider");
        }
        if (!providers.contains(payload)) {
          throw new BadRule("unknown rule provider '" + payload + "'");
        }
        return new RuleSetRef(payload, noResolve);
      case "AND":
      case "OR":
      case "NOT":
        return logic(LogicOp.valueOf(type), payload, where);
      default: // MATCH
        if (where != Where.CONFIG) {
          throw new BadRule("MATCH is not allowed inside a logic rule");
        }
        return new All();
    }
  }

  private Matcher geoIp(String payload, boolean noResolve) throws BadRule {
    String code = payload.toUpperCase(Locale.ROOT);
    if (!code.matches("[A-Z0-9_-]{1,32}")) {
      throw new BadRule("not a country code: '" + payload + "'");
    }
    if (!code.equals("LAN") && !hasGeoDb) {
      throw new BadRule("GEOIP needs a country database (.mmdb), and none is configured");
    }
    return new GeoIp(code, noResolve);
  }

  private Matcher asn(String payload, boolean noResolve) throws BadRule {
    String digits = payload.regionMatches(true, 0, "AS", 0, 2) ? payload.substring(2) : payload;
    long n;
    try {
      n = Long.parseLong(digits);
    } catch (NumberFormatException e) {
      n = -1;
    }
    if (n < 0 || n > 0xffffffffL) {
      throw new BadRule("not an AS number: '" + payload + "'");
    }
    if (!hasAsnDb) {
      throw new BadRule("IP-ASN needs an ASN database (.mmdb), and none is configured");
    }
    return new Asn(n, noResolve);
  }

  private Matcher logic(LogicOp op, String payload, Where where) throws BadRule {
    Where inner = where == Where.PROVIDER ? Where.PROVIDER : Where.SUB_RULE;
    String list = payload.substring(1, payload.length() - 1).strip();
    List<Matcher> subs = new ArrayList<>();
    int i = 0;
    while (i < list.length()) {
      if (list.charAt(i) != '(') {
        throw new BadRule("expected '(' at '" + list.substring(i) + "' in " + op);
      }
      int close = closing(list, i);
      if (close < 0) {
        throw new BadRule("unbalanced parentheses");
      }
      Parts p = split(list.substring(i + 1, close).strip(), false);
      subs.add(matcher(p.type, p.payload, p.noResolve, inner));
      i = close + 1;
      while (i < list.length() && (list.charAt(i) == ' ' || list.charAt(i) == ',')) {
        i++;
      }
    }
    if (subs.isEmpty() || (op == LogicOp.NOT && subs.size() != 1)) {
      throw new BadRule(op == LogicOp.NOT ? "NOT takes exactly one rule" : op + " takes rules");
    }
    return new Logic(op, List.copyOf(subs));
  }

  /** Index of the ')' closing the '(' at {@code open}, or -1. */
  private static int closing(String s, int open) {
    int depth = 0;
    for (int i = open; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        depth++;
      } else if (c == ')' && --depth == 0) {
        return i;
      }
    }
    return -1;
  }

  private static List<String> fields(String s) {
    List<String> out = new ArrayList<>();
    for (String f : s.split(",", -1)) {
      out.add(f.strip());
    }
    return out;
  }

  static boolean isAscii(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) >= 128) {
        return false;
      }
    }
    return true;
  }

  /** A loop, not a regex: 100,000s of DOMAIN-SUFFIX rules would compile one each. */
  private static String withoutLeadingDots(String payload) {
    int from = 0;
    while (from < payload.length() && payload.charAt(from) == '.') {
      from++;
    }
    return payload.substring(from);
  }

  static String domain(String payload) throws BadRule {
    String d = payload.strip().toLowerCase(Locale.ROOT);
    if (d.endsWith(".")) {
      d = d.substring(0, d.length() - 1);
    }
    if (!isAscii(d)) {
      try {
        d = IDN.toASCII(d, IDN.ALLOW_UNASSIGNED);
      } catch (IllegalArgumentException e) {
        throw new BadRule("not a valid domain: " + e.getMessage());
      }
    }
    if (d.isEmpty()) {
      throw new BadRule("empty domain");
    }
    for (int i = 0; i < d.length(); i++) {
      char c = d.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok && !(c == '.' && i > 0 && d.charAt(i - 1) != '.')) {
        throw new BadRule("invalid character '" + c + "' in domain '" + d + "'");
      }
    }
    return d;
  }

  /** A domain pattern with '*' standing for exactly one label anywhere, as mihomo allows. */
  private static Matcher wildcard(String s) throws BadRule {
    String[] labels = s.split("\\.", -1);
    StringBuilder re = new StringBuilder("^");
    for (int i = 0; i < labels.length; i++) {
      if (i > 0) {
        re.append("\\.");
      }
      re.append(labels[i].equals("*") ? "[^.]+" : Pattern.quote(domain(labels[i])));
    }
    return new Regex(Pattern.compile(re.append('$').toString()));
  }

  private static Prefix prefix(String payload) throws BadRule {
    try {
      return Addresses.parsePrefix(payload);
    } catch (IllegalArgumentException e) {
      throw new BadRule(e.getMessage() + ": '" + payload + "'");
    }
  }

  private static int[] ports(String payload) throws BadRule {
    String[] parts = payload.split("/");
    int[] ranges = new int[parts.length * 2];
    for (int i = 0; i < parts.length; i++) {
      String[] lohi = parts[i].strip().split("-", -1);
      if (lohi.length > 2) {
        throw new BadRule("bad port range '" + parts[i] + "'");
      }
      ranges[2 * i] = port(lohi[0]);
      ranges[2 * i + 1] = lohi.length == 2 ? port(lohi[1]) : ranges[2 * i];
      if (ranges[2 * i] > ranges[2 * i + 1]) {
        throw new BadRule("port range '" + parts[i] + "' runs backwards");
      }
    }
    return ranges;
  }

  private static int port(String s) throws BadRule {
    try {
      int p = Integer.parseInt(s.strip());
      if (p >= 0 && p <= 65535) {
        return p;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new BadRule("not a port: '" + s.strip() + "'");
  }
}
