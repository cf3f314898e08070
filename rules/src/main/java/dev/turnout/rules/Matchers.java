package dev.turnout.rules;

import dev.turnout.rules.Addresses.Prefix;
import dev.turnout.rules.Compiled.RuleSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/** The rule conditions. Each is an immutable value; see {@link RuleParser} for the syntax. */
final class Matchers {
  private Matchers() {}

  /** How a domain pattern relates to the host: exactly, itself or below, only below, one below. */
  enum DomainMode {
    EXACT,
    SUFFIX,
    SUBDOMAINS,
    ONE_LABEL
  }

  record Domain(String domain, DomainMode mode) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      String h = c.host;
      if (h == null) {
        return false;
      }
      if (h.length() == domain.length()) {
        return (mode == DomainMode.EXACT || mode == DomainMode.SUFFIX) && h.equals(domain);
      }
      if (mode == DomainMode.EXACT
          || h.length() <= domain.length()
          || !h.endsWith(domain)
          || h.charAt(h.length() - domain.length() - 1) != '.') {
        return false;
      }
      return mode != DomainMode.ONE_LABEL
          || h.lastIndexOf('.', h.length() - domain.length() - 2) < 0;
    }
  }

  record Keyword(String keyword) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return c.host != null && c.host.contains(keyword);
    }
  }

  record Regex(Pattern pattern) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return c.host != null && pattern.matcher(c.host).find();
    }
  }

  /** IP-CIDR / IP-CIDR6 on the destination, or SRC-IP-CIDR on the source. */
  record Cidr(Prefix prefix, boolean source, boolean noResolve) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      Ip ip = source ? c.conn.source() : c.dst;
      return ip != null && prefix.contains(ip);
    }

    @Override
    public boolean needsResolve(Compiled rules) {
      return !source && !noResolve;
    }
  }

  /** Which port a port rule reads. */
  enum PortOf {
    DESTINATION,
    SOURCE,
    INBOUND
  }

  /** DST-PORT / SRC-PORT / IN-PORT: {@code ranges} holds inclusive (low, high) pairs. */
  record Port(int[] ranges, PortOf of) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      int p =
          switch (of) {
            case DESTINATION -> c.conn.destinationPort();
            case SOURCE -> c.conn.sourcePort();
            case INBOUND -> c.conn.inboundPort();
          };
      return inRanges(ranges, p);
    }
  }

  static boolean inRanges(int[] ranges, long v) {
    for (int i = 0; i < ranges.length; i += 2) {
      if (v >= Integer.toUnsignedLong(ranges[i]) && v <= Integer.toUnsignedLong(ranges[i + 1])) {
        return true;
      }
    }
    return false;
  }

  /**
   * IP-SUFFIX / SRC-IP-SUFFIX: the last {@code bits} bits of the address equal those of {@code
   * suffix} (same family), as mihomo matches {@code 0.0.0.1/8}.
   */
  record IpSuffix(Ip suffix, int bits, boolean source, boolean noResolve) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      Ip ip = source ? c.conn.source() : c.dst;
      if (ip == null || ip.v6 != suffix.v6) {
        return false;
      }
      if (bits == 0) {
        return true;
      }
      if (bits <= 64) {
        long mask = bits == 64 ? -1L : (1L << bits) - 1;
        return ((ip.lo ^ suffix.lo) & mask) == 0;
      }
      long mask = bits == 128 ? -1L : (1L << (bits - 64)) - 1;
      return ip.lo == suffix.lo && ((ip.hi ^ suffix.hi) & mask) == 0;
    }

    @Override
    public boolean needsResolve(Compiled rules) {
      return !source && !noResolve;
    }
  }

  record Net(Network network) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return c.conn.network() == network;
    }
  }

  /** PROCESS-NAME / PROCESS-PATH, ignoring case as mihomo does. */
  record Process(String value, boolean path) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      ProcessInfo p = c.process();
      return p != null && value.equalsIgnoreCase(path ? p.path() : p.name());
    }
  }

  /**
   * PROCESS-NAME-REGEX / PROCESS-PATH-REGEX: searched, ignoring case, as mihomo does; the
   * PROCESS-*-WILDCARD rules too, as an anchored pattern.
   */
  record ProcessRegex(Pattern pattern, boolean path) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      ProcessInfo p = c.process();
      String s = p == null ? null : path ? p.path() : p.name();
      return s != null && pattern.matcher(s).find();
    }
  }

  /** UID: the socket owner's user id is in one of the inclusive (low, high) {@code ranges}. */
  record Uid(int[] ranges) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      ProcessInfo p = c.process();
      return p != null && p.uid() >= 0 && inRanges(ranges, p.uid());
    }
  }

  /** SRC-MAC: the source's MAC address (lower case, with colons) is {@code mac}. */
  record SrcMac(String mac) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return mac.equals(c.sourceMac());
    }
  }

  /** Which inbound field an IN-TYPE / IN-NAME / IN-USER rule reads. */
  enum InboundField {
    TYPE,
    NAME,
    USER
  }

  /**
   * IN-TYPE (values upper case, compared ignoring case), IN-NAME and IN-USER (exact): the
   * connection's inbound field is one of {@code values}.
   */
  record Inbound(InboundField field, Set<String> values) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      String v =
          switch (field) {
            case TYPE -> c.conn.inboundType();
            case NAME -> c.conn.inboundName();
            case USER -> c.conn.inboundUser();
          };
      if (v == null) {
        return false;
      }
      return values.contains(field == InboundField.TYPE ? v.toUpperCase(Locale.ROOT) : v);
    }
  }

  /** GEOIP: an ISO country code in upper case, or {@code LAN} for private addresses. */
  record GeoIp(String code, boolean noResolve) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      if (c.dst == null) {
        return false;
      }
      return code.equals("LAN") ? c.dst.isLan() : c.countries().contains(code);
    }

    @Override
    public boolean needsResolve(Compiled rules) {
      return !noResolve;
    }
  }

  /** SRC-GEOIP (GEOIP,...,src): the country of the source address; {@code LAN} as for GEOIP. */
  record SrcGeoIp(String code) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      Ip src = c.conn.source();
      if (src == null) {
        return false;
      }
      return code.equals("LAN") ? src.isLan() : c.sourceCountries().contains(code);
    }
  }

  /** SRC-IP-ASN (IP-ASN,...,src). */
  record SrcAsn(long asn) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return c.conn.source() != null && c.sourceAsn() == asn;
    }
  }

  record Asn(long asn, boolean noResolve) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return c.dst != null && c.asn() == asn;
    }

    @Override
    public boolean needsResolve(Compiled rules) {
      return !noResolve;
    }
  }

  enum LogicOp {
    AND,
    OR,
    NOT
  }

  /** AND / OR over the sub-rules; NOT has exactly one. */
  record Logic(LogicOp op, List<Matcher> rules) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      switch (op) {
        case AND:
          for (Matcher m : rules) {
            if (!m.matches(c)) {
              return false;
            }
          }
          return true;
        case OR:
          for (Matcher m : rules) {
            if (m.matches(c)) {
              return true;
            }
          }
          return false;
        default:
          return !rules.get(0).matches(c);
      }
    }

    @Override
    public boolean needsResolve(Compiled compiled) {
      return rules.stream().anyMatch(m -> m.needsResolve(compiled));
    }
  }

  /** RULE-SET,name: matches if any entry of the provider's current list does. */
  record RuleSetRef(String name, boolean noResolve) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return c.rules.ruleSet(name).matchesAny(c);
    }

    @Override
    public boolean needsResolve(Compiled rules) {
      RuleSet set = rules.ruleSet(name); // null while the sets themselves are being compiled
      return !noResolve && set != null && set.needsResolve();
    }
  }

  /**
   * SUB-RULE,(CONDITION),name: when the condition matches, the first matching rule of the top-level
   * {@code sub-rules:} list {@code name} decides; if none does, the rules go on. The compiled table
   * flattens it (each sub-rule ANDed with the condition at this rule's position), so this is never
   * evaluated as such.
   */
  record SubRuleRef(Matcher condition, String name) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      throw new IllegalStateException("SUB-RULE is flattened when compiled");
    }

    @Override
    public boolean needsResolve(Compiled rules) {
      return condition.needsResolve(rules) || rules.subRulesNeedResolve(name);
    }
  }

  /** MATCH (also spelled FINAL). */
  record All() implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return true;
    }
  }
}
