package dev.turnout.rules;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
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
    Prefix v4 = slash > 0 && s.indexOf(':') < 0 ? v4Prefix(s, slash) : null;
    if (v4 != null) {
      return v4;
    }
    if (IpLiterals.parseOrNull(slash < 0 ? s : s.substring(0, slash)) == null) {
      throw new IllegalArgumentException("not an IP address or CIDR");
    }
    Cidr cidr = slash < 0 ? Cidr.host(IpLiterals.parse(s)) : Cidr.parseMasking(s);
    return new Prefix(Ip.of(cidr.network()), cidr.prefixLength());
  }

  /**
   * {@code s}, with its '/' at {@code slash}, as an IPv4 CIDR, if it is one with a length of 0 to
   * 32 written without leading zeros; otherwise null, and the general reader decides. This is that
   * reader's result for such a CIDR, read without the addresses and strings it makes on the way:
   * ipcidr lists are 10,000s of them.
   */
  private static Prefix v4Prefix(String s, int slash) {
    int n = s.length() - slash - 1;
    if (n < 1 || n > 2 || n == 2 && s.charAt(slash + 1) == '0') {
      return null;
    }
    int length = 0;
    for (int i = slash + 1; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return null;
      }
      length = length * 10 + (c - '0');
    }
    byte[] b = length <= 32 ? IpLiterals.parseBytes(s.substring(0, slash)) : null;
    if (b == null || b.length != 4) {
      return null;
    }
    int network = Ipv4.toInt(b, 0) & (length == 0 ? 0 : -1 << (32 - length));
    return new Prefix(Ip.of(Ipv4.address(network)), length);
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
