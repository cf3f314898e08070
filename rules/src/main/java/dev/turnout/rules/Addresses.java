package dev.turnout.rules;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import java.net.InetAddress;
import java.util.Locale;

/**
 * The rules' forms of IP literals and CIDRs (parsed by netbase's {@link IpLiterals} and {@link
 * Cidr}, never through DNS), and host-name normalization.
 */
final class Addresses {
  private Addresses() {}

  /** A CIDR; {@code ip} has its host bits cleared. */
  record Prefix(Ip ip, int length) {
    boolean contains(Ip a) {
      if (a.v6 != ip.v6) {
        return false;
      }
      for (int i = 0; i < length; i++) {
        if (a.bit(i) != ip.bit(i)) {
          return false;
        }
      }
      return true;
    }
  }

  /**
   * Returns the address written in {@code s} ({@code [v6]} brackets allowed), or null if {@code s}
   * is not an IP literal.
   */
  static InetAddress parseLiteral(String s) {
    return IpLiterals.parseHostOrNull(s);
  }

  /**
   * Parses {@code 192.0.2.0/24} or {@code 2001:db8::/32} (host bits cleared, as Clash does); a bare
   * address is a host prefix.
   *
   * @throws IllegalArgumentException with a message for the user
   */
  static Prefix parsePrefix(String s) {
    int slash = s.indexOf('/');
    if (IpLiterals.parseOrNull(slash < 0 ? s : s.substring(0, slash)) == null) {
      throw new IllegalArgumentException("not an IP address or CIDR");
    }
    Cidr cidr = slash < 0 ? Cidr.host(IpLiterals.parse(s)) : Cidr.parseMasking(s);
    return new Prefix(Ip.of(cidr.network()), cidr.prefixLength());
  }

  /** Lower case, without a trailing dot; null for null or empty. Allocates only when it changes. */
  static String normalizeHost(String host) {
    if (host == null) {
      return null;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    return h.isEmpty() ? null : h;
  }
}
