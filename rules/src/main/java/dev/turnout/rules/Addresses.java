package dev.turnout.rules;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Strict parsing of IP literals and CIDRs, and host-name normalization. Never touches DNS: {@link
 * InetAddress#getByName} is used only for strings that it is bound to parse as IPv6 literals.
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

  /** Returns the address written in {@code s}, or null if {@code s} is not an IP literal. */
  static InetAddress parseLiteral(String s) {
    if (s.isEmpty()) {
      return null;
    }
    if (s.indexOf(':') >= 0) {
      String t = s.startsWith("[") && s.endsWith("]") ? s.substring(1, s.length() - 1) : s;
      for (int i = 0; i < t.length(); i++) {
        char c = t.charAt(i);
        if (Character.digit(c, 16) < 0 && c != ':' && c != '.') {
          return null;
        }
      }
      try {
        return InetAddress.getByName(t); // a string with ':' is parsed, never looked up
      } catch (UnknownHostException e) {
        return null;
      }
    }
    byte[] b = new byte[4];
    int part = 0;
    int value = -1;
    for (int i = 0; i <= s.length(); i++) {
      char c = i < s.length() ? s.charAt(i) : '.';
      if (c == '.') {
        if (value < 0 || part == 4) {
          return null;
        }
        b[part++] = (byte) value;
        value = -1;
      } else if (c >= '0' && c <= '9') {
        if (value == 0) {
          return null; // no leading zeros: 010 is octal to some parsers
        }
        value = value < 0 ? c - '0' : value * 10 + (c - '0');
        if (value > 255) {
          return null;
        }
      } else {
        return null;
      }
    }
    if (part != 4) {
      return null;
    }
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Parses {@code 192.0.2.0/24} or {@code 2001:db8::/32}; a bare address is a host prefix.
   *
   * @throws IllegalArgumentException with a message for the user
   */
  static Prefix parsePrefix(String s) {
    int slash = s.indexOf('/');
    String addr = slash < 0 ? s : s.substring(0, slash);
    InetAddress a = parseLiteral(addr);
    if (a == null) {
      throw new IllegalArgumentException("not an IP address or CIDR");
    }
    Ip ip = Ip.of(a);
    boolean mapped = !ip.v6 && addr.indexOf(':') >= 0; // ::ffff:a.b.c.d/len
    int max = ip.bits();
    int length = max;
    if (slash >= 0) {
      try {
        length = Integer.parseInt(s.substring(slash + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bad prefix length");
      }
      if (mapped) {
        length -= 96;
      }
      if (length < 0 || length > max) {
        throw new IllegalArgumentException("prefix length out of range 0.." + max);
      }
    }
    return new Prefix(masked(ip, length), length);
  }

  private static Ip masked(Ip ip, int length) {
    byte[] b = ip.address.getAddress();
    if (!ip.v6 && b.length == 16) {
      b = new byte[] {b[12], b[13], b[14], b[15]};
    }
    for (int i = length; i < b.length * 8; i++) {
      b[i / 8] &= (byte) ~(0x80 >>> (i % 8));
    }
    try {
      return Ip.of(InetAddress.getByAddress(b));
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
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
