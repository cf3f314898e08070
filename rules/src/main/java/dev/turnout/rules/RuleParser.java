package dev.turnout.rules;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.rules.Addresses.Prefix;
import dev.turnout.rules.Matchers.All;
import dev.turnout.rules.Matchers.Asn;
import dev.turnout.rules.Matchers.Cidr;
import dev.turnout.rules.Matchers.Domain;
import dev.turnout.rules.Matchers.DomainMode;
import dev.turnout.rules.Matchers.GeoIp;
import dev.turnout.rules.Matchers.Inbound;
import dev.turnout.rules.Matchers.InboundField;
import dev.turnout.rules.Matchers.IpSuffix;
import dev.turnout.rules.Matchers.Keyword;
import dev.turnout.rules.Matchers.Logic;
import dev.turnout.rules.Matchers.LogicOp;
import dev.turnout.rules.Matchers.Net;
import dev.turnout.rules.Matchers.Port;
import dev.turnout.rules.Matchers.PortOf;
import dev.turnout.rules.Matchers.Process;
import dev.turnout.rules.Matchers.ProcessRegex;
import dev.turnout.rules.Matchers.Regex;
import dev.turnout.rules.Matchers.RuleSetRef;
import dev.turnout.rules.Matchers.SrcAsn;
import dev.turnout.rules.Matchers.SrcGeoIp;
import dev.turnout.rules.Matchers.SrcMac;
import dev.turnout.rules.Matchers.SubRuleRef;
import dev.turnout.rules.Matchers.Uid;
import java.io.IOException;
import java.net.IDN;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Parses Clash rule text: {@code TYPE,PAYLOAD,POLICY[,no-resolve]} in the config, {@code
 * TYPE,PAYLOAD[,no-resolve]} in classical providers and inside logic rules, and the entries of
 * domain and ipcidr providers. Fields are trimmed; types and options are case-insensitive. A
 * DOMAIN-REGEX or PROCESS-*-REGEX payload may contain commas (the policy is the last field that is
 * not an option). A type mihomo has and Turnout does not (say, DSCP) is an error in {@code rules:},
 * as in mihomo: ignoring the rule would route differently from what is written.
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
          "DOMAIN-WILDCARD",
          "GEOSITE",
          "IP-CIDR",
          "IP-CIDR6",
          "IP-SUFFIX",
          "SRC-IP-CIDR",
          "SRC-IP-SUFFIX",
          "SRC-GEOIP",
          "SRC-IP-ASN",
          "DST-PORT",
          "SRC-PORT",
          "IN-PORT",
          "IN-TYPE",
          "IN-NAME",
          "IN-USER",
          "NETWORK",
          "UID",
          "PROCESS-NAME",
          "PROCESS-PATH",
          "PROCESS-NAME-REGEX",
          "PROCESS-PATH-REGEX",
          "PROCESS-NAME-WILDCARD",
          "PROCESS-PATH-WILDCARD",
          "SRC-MAC",
          "GEOIP",
          "IP-ASN",
          "RULE-SET",
          "SUB-RULE",
          "AND",
          "OR",
          "NOT",
          "MATCH");

  /** The inbound types of mihomo's IN-TYPE; {@code SOCKS} stands for SOCKS4 and SOCKS5. */
  private static final Set<String> IN_TYPES =
      Set.of(
          "HTTP",
          "HTTPS",
          "SOCKS4",
          "SOCKS5",
          "SHADOWSOCKS",
          "VMESS",
          "VLESS",
          "REDIR",
          "TPROXY",
          "TROJAN",
          "TUNNEL",
          "TUN",
          "TUIC",
          "HYSTERIA2",
          "ANYTLS",
          "INNER");

  /** Rule types of mihomo and Surge that Turnout does not implement, named so in errors. */
  private static final Set<String> ELSEWHERE =
      Set.of(
          "DSCP",
          "SCHEDULE",
          "IN-USER-AGENT",
          "USER-AGENT",
          "URL-REGEX",
          "PROTOCOL",
          "SUBNET",
          "DEVICE-NAME",
          "CELLULAR-RADIO",
          "SSID");

  /** The longest domain a DNS name can carry in text. */
  static final int MAX_DOMAIN = 255;

  /** Parentheses a logic rule may nest (two a level); real lists nest a few levels. */
  static final int MAX_LOGIC_NESTING = 64;

  private static final String NO_RESOLVE = "no-resolve";
  private static final String SRC = "src";

  private final Set<String> policies;
  private final Set<String> providers;
  private final GeoDb geo;
  private final GeoSites geosites;
  private final Set<String> subRules;

  /** Without geodata: GEOIP (but LAN), IP-ASN and GEOSITE rules are errors. */
  RuleParser(Set<String> policies, Set<String> providers) {
    this(policies, providers, GeoDb.NONE, new GeoSites(null), Set.of());
  }

  RuleParser(
      Set<String> policies,
      Set<String> providers,
      GeoDb geo,
      GeoSites geosites,
      Set<String> subRules) {
    this.policies = policies;
    this.providers = providers;
    this.geo = geo;
    this.geosites = geosites;
    this.subRules = subRules;
  }

  GeoSites geosites() {
    return geosites;
  }

  /** A config rule, with its policy. */
  Rule parseRule(String text, String source) throws BadRule {
    String line = text.strip();
    Parts p;
    try {
      p = split(line, true);
    } catch (BadRule e) {
      if (e.getMessage().startsWith("unknown rule type")) {
        throw new BadRule(
            e.getMessage()
                + "; a rule Turnout cannot evaluate is an error, not skipped: skipping it would"
                + " route differently from what is written");
      }
      throw e;
    }
    if (p.type.equals("SUB-RULE")) {
      if (!subRules.contains(p.policy)) {
        throw new BadRule("no sub-rules list named '" + p.policy + "' in sub-rules:");
      }
    } else if (!policies.contains(p.policy)) {
      String hint =
          policies.stream()
              .filter(known -> known.equalsIgnoreCase(p.policy))
              .findFirst()
              .map(known -> " (did you mean '" + known + "'?)")
              .orElse("");
      throw new BadRule("unknown policy '" + p.policy + "'" + hint);
    }
    Matcher m = matcher(p, Where.CONFIG);
    String canonical =
        p.type
            + (p.payload.isEmpty() ? "" : "," + p.payload)
            + (p.noResolve ? ",no-resolve" : "")
            + (p.src ? ",src" : "");
    return new Rule(m, p.policy, canonical, line, source);
  }

  /** An entry of a classical provider: a rule without policy; no RULE-SET or MATCH. */
  Matcher parseEntry(String text) throws BadRule {
    Matcher common = commonEntry(text);
    return common != null ? common : parseAnyEntry(text);
  }

  /** {@link #parseEntry} without the shortcut for common entries. */
  Matcher parseAnyEntry(String text) throws BadRule {
    Parts p = split(text.strip(), false);
    if (p.type.equals("RULE-SET") || p.type.equals("MATCH") || p.type.equals("SUB-RULE")) {
      throw new BadRule(p.type + " is not allowed in a rule provider");
    }
    return matcher(p, Where.PROVIDER);
  }

  /**
   * The entries most of a large classical list is made of, written plainly — {@code DOMAIN}, {@code
   * DOMAIN-SUFFIX}, {@code DOMAIN-KEYWORD}, {@code IP-CIDR} and {@code IP-CIDR6} in upper case, the
   * payload without blanks around it, and for the CIDRs {@code ,no-resolve} or nothing after it —
   * read without splitting the line into fields, as {@link #parseAnyEntry} reads them; null for any
   * other entry.
   */
  private static Matcher commonEntry(String text) throws BadRule {
    int comma = text.indexOf(',');
    if (comma < 0) {
      return null;
    }
    int end = text.indexOf(',', comma + 1);
    boolean noResolve = end >= 0;
    if (end < 0) {
      end = text.length();
    } else if (text.length() != end + 1 + NO_RESOLVE.length()
        || !text.startsWith(NO_RESOLVE, end + 1)) {
      return null;
    }
    if (end == comma + 1
        || Character.isWhitespace(text.charAt(0))
        || Character.isWhitespace(text.charAt(comma + 1))
        || Character.isWhitespace(text.charAt(end - 1))) {
      return null;
    }
    if (noResolve) {
      if (isType(text, comma, "IP-CIDR") || isType(text, comma, "IP-CIDR6")) {
        return new Cidr(prefix(text.substring(comma + 1, end)), false, true);
      }
      return null;
    }
    String payload = text.substring(comma + 1);
    if (isType(text, comma, "DOMAIN-SUFFIX")) {
      return new Domain(domain(withoutLeadingDots(payload)), DomainMode.SUFFIX);
    } else if (isType(text, comma, "DOMAIN")) {
      return new Domain(domain(payload), DomainMode.EXACT);
    } else if (isType(text, comma, "DOMAIN-KEYWORD")) {
      return new Keyword(payload.toLowerCase(Locale.ROOT));
    } else if (isType(text, comma, "IP-CIDR") || isType(text, comma, "IP-CIDR6")) {
      return new Cidr(prefix(payload), false, false);
    }
    return null;
  }

  private static boolean isType(String text, int comma, String type) {
    return comma == type.length() && text.startsWith(type);
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

  private record Parts(
      String type, String payload, String policy, boolean noResolve, boolean src) {}

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
      throw new BadRule(
          "unknown rule type '"
              + type
              + "'"
              + (ELSEWHERE.contains(type)
                  ? " (a mihomo or Surge rule type that Turnout does not implement)"
                  : ""));
    }
    String rest = comma < 0 ? null : line.substring(comma + 1);
    String payload;
    List<String> fields;
    if (type.equals("AND") || type.equals("OR") || type.equals("NOT") || type.equals("SUB-RULE")) {
      String r = rest == null ? "" : rest.strip();
      int close = r.startsWith("(") ? closing(r, 0) : -2;
      if (close == -2) {
        throw new BadRule(
            type
                + (type.equals("SUB-RULE")
                    ? " needs a condition written (RULE)"
                    : " needs sub-rules written ((RULE),(RULE))"));
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
      if (type.endsWith("-REGEX")) { // the pattern may contain commas
        int end = fields.size();
        while (end > 1 && isOption(fields.get(end - 1))) {
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
    boolean src = false;
    for (String option : fields) {
      if (option.equalsIgnoreCase(NO_RESOLVE)) {
        noResolve = true;
      } else if (option.equalsIgnoreCase(SRC)) {
        src = true;
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
    return new Parts(type, payload, policy, noResolve, src);
  }

  private static boolean isOption(String field) {
    return field.equalsIgnoreCase(NO_RESOLVE) || field.equalsIgnoreCase(SRC);
  }

  private static final Set<String> SRC_TYPES =
      Set.of("IP-CIDR", "IP-CIDR6", "IP-SUFFIX", "GEOIP", "IP-ASN", "RULE-SET");

  private Matcher matcher(Parts p, Where where) throws BadRule {
    if (p.src && !SRC_TYPES.contains(p.type)) {
      throw new BadRule("option 'src' applies to IP-CIDR, IP-SUFFIX, GEOIP and IP-ASN only");
    }
    String type = p.type;
    String payload = p.payload;
    boolean noResolve = p.noResolve;
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
        return new Regex(regex(payload, 0));
      case "DOMAIN-WILDCARD":
        return new Regex(Pattern.compile(wildcardRegex(payload.toLowerCase(Locale.ROOT))));
      case "GEOSITE":
        return geosite(payload);
      case "IP-CIDR":
      case "IP-CIDR6":
        return new Cidr(prefix(payload), p.src, p.src || noResolve);
      case "SRC-IP-CIDR":
        return new Cidr(prefix(payload), true, true);
      case "IP-SUFFIX":
      case "SRC-IP-SUFFIX":
        return suffix(payload, p.src || type.startsWith("SRC-"), noResolve);
      case "DST-PORT":
        return new Port(ports(payload, 65535), PortOf.DESTINATION);
      case "SRC-PORT":
        return new Port(ports(payload, 65535), PortOf.SOURCE);
      case "IN-PORT":
        return new Port(ports(payload, 65535), PortOf.INBOUND);
      case "IN-TYPE":
        return new Inbound(InboundField.TYPE, inTypes(payload));
      case "IN-NAME":
        return new Inbound(InboundField.NAME, names(payload, "IN-NAME"));
      case "IN-USER":
        return new Inbound(InboundField.USER, names(payload, "IN-USER"));
      case "UID":
        return new Uid(ports(payload, 0xffffffffL));
      case "PROCESS-NAME-REGEX":
      case "PROCESS-PATH-REGEX":
        return new ProcessRegex(
            regex(payload, Pattern.CASE_INSENSITIVE), type.equals("PROCESS-PATH-REGEX"));
      case "PROCESS-NAME-WILDCARD":
      case "PROCESS-PATH-WILDCARD": // mihomo's: the whole name or path, ignoring case
        return new ProcessRegex(
            Pattern.compile(wildcardRegex(payload), Pattern.CASE_INSENSITIVE),
            type.equals("PROCESS-PATH-WILDCARD"));
      case "SRC-GEOIP":
        return new SrcGeoIp(geoCode(payload));
      case "SRC-MAC":
        return new SrcMac(mac(payload));
      case "SRC-IP-ASN":
        return new SrcAsn(asnNumber(payload));
      case "SUB-RULE":
        if (where != Where.CONFIG) {
          throw new BadRule("SUB-RULE is allowed only in rules: and sub-rules:");
        }
        return subRule(payload, p.policy);
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
        return p.src ? new SrcGeoIp(geoCode(payload)) : geoIp(payload, noResolve);
      case "IP-ASN":
        return p.src ? new SrcAsn(asnNumber(payload)) : asn(payload, noResolve);
      case "RULE-SET":
        if (p.src) {
          throw new BadRule(
              "RULE-SET with 'src' (the set's IP entries on the source) is not supported");
        }
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

  private static final Pattern MAC =
      Pattern.compile("(?i)[0-9a-f]{2}([:-])[0-9a-f]{2}(\\1[0-9a-f]{2}){4}");

  /** A MAC address with colons or hyphens, in either case; lower case with colons. */
  private static String mac(String payload) throws BadRule {
    if (!MAC.matcher(payload).matches()) {
      throw new BadRule(
          "SRC-MAC takes a MAC address such as 02:00:5e:00:53:01, not '" + payload + "'");
    }
    return payload.toLowerCase(Locale.ROOT).replace('-', ':');
  }

  private Matcher geoIp(String payload, boolean noResolve) throws BadRule {
    return new GeoIp(geoCode(payload), noResolve);
  }

  private String geoCode(String payload) throws BadRule {
    String code = payload.toUpperCase(Locale.ROOT);
    if (!code.matches("[A-Z0-9_-]{1,32}")) {
      throw new BadRule("not a country code: '" + payload + "'");
    }
    if (code.equals("LAN")) {
      return code;
    }
    if (!geo.hasCountries()) {
      throw new BadRule(
          "GEOIP needs a country database: a Country.mmdb beside the config (GeoIP.dat with"
              + " geodata-mode: true), or geoip-database (run downloads a missing one from"
              + " geox-url first)");
    }
    try {
      if (!geo.require(code)) {
        throw new BadRule("the GeoIP.dat has no list '" + payload + "'");
      }
    } catch (IOException e) {
      throw new BadRule(e.getMessage());
    }
    return code;
  }

  private Matcher asn(String payload, boolean noResolve) throws BadRule {
    return new Asn(asnNumber(payload), noResolve);
  }

  private long asnNumber(String payload) throws BadRule {
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
    if (!geo.hasAsn()) {
      throw new BadRule(
          "IP-ASN needs an ASN database (.mmdb): a GeoLite2-ASN.mmdb beside the config, or"
              + " asn-database (run downloads a missing one from geox-url first)");
    }
    return n;
  }

  /** GEOSITE,[!]list[@attr...][/list...]: the lists as one rule set, negated with '!'. */
  private Matcher geosite(String payload) throws BadRule {
    String spec = payload.strip();
    boolean not = spec.startsWith("!");
    if (not) {
      spec = spec.substring(1);
    }
    if (spec.isBlank()) {
      throw new BadRule("GEOSITE needs a list name");
    }
    Matcher set = new RuleSetRef(geosites.load(spec), true);
    return not ? new Logic(LogicOp.NOT, List.of(set)) : set;
  }

  /** SUB-RULE,(RULE),name: the condition is one rule without policy, in parentheses. */
  private Matcher subRule(String payload, String name) throws BadRule {
    String inner = payload.substring(1, payload.length() - 1).strip();
    if (inner.startsWith("(")) {
      throw new BadRule("SUB-RULE needs one condition written (TYPE,PAYLOAD)");
    }
    Parts p = split(inner, false);
    if (p.type.equals("MATCH") || p.type.equals("SUB-RULE")) {
      throw new BadRule(p.type + " cannot be the condition of a SUB-RULE");
    }
    return new SubRuleRef(matcher(p, Where.SUB_RULE), name);
  }

  private static Pattern regex(String payload, int flags) throws BadRule {
    try {
      return Pattern.compile(payload, flags);
    } catch (PatternSyntaxException e) {
      throw new BadRule("bad regular expression: " + e.getDescription());
    }
  }

  /**
   * mihomo's DOMAIN-WILDCARD (and PROCESS-*-WILDCARD): '*' any run of characters (dots and slashes
   * too), '?' exactly one; the whole text must match.
   */
  static String wildcardRegex(String pattern) throws BadRule {
    if (pattern.isEmpty()) {
      throw new BadRule("empty wildcard");
    }
    StringBuilder re = new StringBuilder("^");
    StringBuilder literal = new StringBuilder();
    for (int i = 0; i < pattern.length(); i++) {
      char c = pattern.charAt(i);
      if (c == '*' || c == '?') {
        if (literal.length() > 0) {
          re.append(Pattern.quote(literal.toString()));
          literal.setLength(0);
        }
        re.append(c == '*' ? ".*" : ".");
      } else {
        literal.append(c);
      }
    }
    if (literal.length() > 0) {
      re.append(Pattern.quote(literal.toString()));
    }
    return re.append('$').toString();
  }

  /** IP-SUFFIX payload {@code ADDRESS/BITS}: the low BITS bits of ADDRESS (host bits kept). */
  private static Matcher suffix(String payload, boolean source, boolean noResolve) throws BadRule {
    int slash = payload.indexOf('/');
    InetAddress a =
        IpLiterals.parseOrNull(slash < 0 ? payload.strip() : payload.substring(0, slash));
    if (a == null) {
      throw new BadRule("not an IP address or suffix: '" + payload + "'");
    }
    Ip ip = Ip.of(a);
    int max = ip.bits();
    int bits = max;
    if (slash >= 0) {
      try {
        bits = Integer.parseInt(payload.substring(slash + 1).strip());
      } catch (NumberFormatException e) {
        bits = -1;
      }
    }
    if (bits < 0 || bits > max) {
      throw new BadRule("suffix length must be 0 to " + max + ": '" + payload + "'");
    }
    return new IpSuffix(ip, bits, source, source || noResolve);
  }

  private static Set<String> inTypes(String payload) throws BadRule {
    Set<String> out = new LinkedHashSet<>();
    for (String t : names(payload, "IN-TYPE")) {
      String u = t.toUpperCase(Locale.ROOT);
      if (u.equals("SOCKS")) {
        out.add("SOCKS4");
        out.add("SOCKS5");
      } else if (IN_TYPES.contains(u)) {
        out.add(u);
      } else {
        throw new BadRule("unknown inbound type '" + t + "'");
      }
    }
    return Set.copyOf(out);
  }

  private static Set<String> names(String payload, String type) throws BadRule {
    Set<String> out = new LinkedHashSet<>();
    for (String n : payload.split("/", -1)) {
      if (n.isBlank()) {
        throw new BadRule(type + " has an empty name in '" + payload + "'");
      }
      out.add(n.strip());
    }
    return Set.copyOf(out);
  }

  private Matcher logic(LogicOp op, String payload, Where where) throws BadRule {
    if (nesting(payload) > MAX_LOGIC_NESTING) { // bounds the recursion and the rescans below
      throw new BadRule("logic rules nest at most " + MAX_LOGIC_NESTING + " parentheses deep");
    }
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
      String text = list.substring(i + 1, close).strip();
      if (text.toUpperCase(Locale.ROOT).startsWith("SUB-RULE,")) {
        throw new BadRule("SUB-RULE is not allowed inside a logic rule");
      }
      Parts p = split(text, false);
      subs.add(matcher(p, inner));
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

  /** The deepest nesting of parentheses in {@code s}. */
  private static int nesting(String s) {
    int depth = 0;
    int max = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '(') {
        max = Math.max(max, ++depth);
      } else if (c == ')') {
        depth--;
      }
    }
    return max;
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

  /**
   * True if {@code b[from..to)} is a domain that {@link #domain} returns unchanged: 1 to {@value
   * #MAX_DOMAIN} of a-z, 0-9, '-' and '_' in labels joined by single dots, no dot first or last.
   */
  static boolean isPlainDomain(byte[] b, int from, int to) {
    if (to <= from || to - from > MAX_DOMAIN || b[from] == '.' || b[to - 1] == '.') {
      return false;
    }
    for (int i = from; i < to; i++) {
      byte c = b[i];
      boolean ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
      if (!ok && !(c == '.' && b[i - 1] != '.')) {
        return false;
      }
    }
    return true;
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
    if (d.length() > MAX_DOMAIN) { // refused here, not later when the index is compiled
      throw new BadRule("a domain has at most " + MAX_DOMAIN + " characters, not " + d.length());
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

  /**
   * Ranges as mihomo writes them: {@code 80}, {@code 80/443}, {@code 8000-9000/22} (commas too,
   * inside providers); each value at most {@code max}. Inclusive (low, high) pairs, unsigned.
   */
  private static int[] ports(String payload, long max) throws BadRule {
    List<String> parts = new ArrayList<>();
    for (String part : payload.replace(',', '/').split("/")) {
      if (!part.isBlank()) {
        parts.add(part.strip());
      }
    }
    if (parts.isEmpty()) {
      throw new BadRule("no port or range in '" + payload + "'");
    }
    int[] ranges = new int[parts.size() * 2];
    for (int i = 0; i < parts.size(); i++) {
      String[] lohi = parts.get(i).split("-", -1);
      if (lohi.length > 2) {
        throw new BadRule("bad range '" + parts.get(i) + "'");
      }
      long lo = number(lohi[0], max);
      long hi = lohi.length == 2 ? number(lohi[1], max) : lo;
      if (lo > hi) {
        throw new BadRule("range '" + parts.get(i) + "' runs backwards");
      }
      ranges[2 * i] = (int) lo;
      ranges[2 * i + 1] = (int) hi;
    }
    return ranges;
  }

  private static long number(String s, long max) throws BadRule {
    String t = s.strip();
    while (t.startsWith("[")) {
      t = t.substring(1).strip();
    }
    while (t.endsWith("]")) {
      t = t.substring(0, t.length() - 1).strip();
    }
    try {
      long v = Long.parseLong(t);
      if (v >= 0 && v <= max) {
        return v;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw new BadRule("not a " + (max == 65535 ? "port" : "number") + ": '" + s.strip() + "'");
  }
}
