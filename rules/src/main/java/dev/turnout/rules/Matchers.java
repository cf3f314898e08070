package dev.turnout.rules;

import dev.turnout.rules.Addresses.Prefix;
import java.util.List;
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

  /** DST-PORT / SRC-PORT: {@code ranges} holds inclusive (low, high) pairs. */
  record Port(int[] ranges, boolean source) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      int p = source ? c.conn.sourcePort() : c.conn.destinationPort();
      for (int i = 0; i < ranges.length; i += 2) {
        if (p >= ranges[i] && p <= ranges[i + 1]) {
          return true;
        }
      }
      return false;
    }
  }

  record Net(Network network) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      return c.conn.network() == network;
    }
  }

  record Process(String value, boolean path) implements Matcher {
    @Override
    public boolean matches(Ctx c) {
      ProcessInfo p = c.process();
      return p != null && value.equals(path ? p.path() : p.name());
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
      return !noResolve && rules.ruleSet(name).needsResolve();
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
