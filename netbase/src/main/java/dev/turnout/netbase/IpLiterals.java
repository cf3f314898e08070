package dev.turnout.netbase;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;

/**
 * The one parser of IP address literals in Turnout. It never consults a resolver, whatever the text
 * (unlike {@link InetAddress#getByName}), and accepts exactly this grammar:
 *
 * <ul>
 *   <li>IPv4: a dotted quad {@code a.b.c.d}, each part 1 to 3 ASCII decimal digits worth at most
 *       255, without a sign and without leading zeros ({@code 0} is fine, {@code 01} is not: other
 *       parsers read it as octal; Go's {@code net/netip}, which mihomo uses, rejects it too). No
 *       shorter forms ({@code 1.2.3}), no whitespace.
 *   <li>IPv6: the text forms of RFC 4291 §2.2: eight groups of 1 to 4 hex digits (either case)
 *       separated by {@code :}; one {@code ::} standing for one or more zero groups; the last 32
 *       bits optionally written as an IPv4 dotted quad (with the IPv4 rules above). No zone id
 *       ({@code %eth0}), no brackets except through {@link #parseHostOrNull}.
 * </ul>
 *
 * <p>An IPv4-mapped IPv6 literal ({@code ::ffff:1.2.3.4}) yields an {@link Inet4Address}, as {@link
 * InetAddress#getByAddress} and every JDK path do; {@link #parseBytes} keeps its 16 bytes.
 * Stateless and thread-safe.
 */
public final class IpLiterals {
  /** The longest valid literal: {@code ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255}. */
  static final int MAX_LENGTH = 45;

  private IpLiterals() {}

  /**
   * Parses an IPv4 or IPv6 literal.
   *
   * @throws IllegalArgumentException if {@code text} is not one (the only exception, whatever the
   *     input, null aside)
   */
  public static InetAddress parse(String text) {
    InetAddress address = parseOrNull(text);
    if (address == null) {
      throw new IllegalArgumentException("not an IP address: " + quote(text));
    }
    return address;
  }

  /** Returns the address written in {@code text}, or null if it is not a literal (or null). */
  public static InetAddress parseOrNull(String text) {
    byte[] bytes = parseBytes(text);
    return bytes == null ? null : toAddress(bytes);
  }

  /**
   * As {@link #parseOrNull}, also accepting an IPv6 literal in brackets ({@code [2001:db8::1]}), as
   * hosts are written in URLs and {@code host:port} pairs.
   */
  public static InetAddress parseHostOrNull(String host) {
    if (host != null && host.length() > 2 && host.startsWith("[") && host.endsWith("]")) {
      String inner = host.substring(1, host.length() - 1);
      return inner.indexOf(':') < 0 ? null : parseOrNull(inner);
    }
    return parseOrNull(host);
  }

  /**
   * Parses an IPv4 dotted quad only.
   *
   * @throws IllegalArgumentException if {@code text} is not one
   */
  public static Inet4Address parseIpv4(String text) {
    byte[] bytes = new byte[4];
    if (text == null || !ipv4(text, 0, text.length(), bytes, 0)) {
      throw new IllegalArgumentException("not an IPv4 address: " + quote(text));
    }
    return (Inet4Address) toAddress(bytes);
  }

  /**
   * The address in {@code text} as 4 (IPv4) or 16 (IPv6, IPv4-mapped included) network-order bytes,
   * or null if {@code text} is not a literal. A fresh array each call.
   */
  public static byte[] parseBytes(String text) {
    if (text == null || text.isEmpty() || text.length() > MAX_LENGTH) {
      return null;
    }
    if (text.indexOf(':') >= 0) {
      return ipv6(text);
    }
    byte[] bytes = new byte[4];
    return ipv4(text, 0, text.length(), bytes, 0) ? bytes : null;
  }

  /**
   * The address as text: a dotted quad, or an IPv6 address as RFC 5952 writes it (lower case, the
   * longest run of two or more zero groups as {@code ::}), unlike {@link
   * InetAddress#getHostAddress}, which never compresses. No scope.
   */
  public static String format(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 4) {
      return Ipv4.format(Ipv4.toInt(b, 0));
    }
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder text = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        text.append("::");
        i += bestLength - 1;
        continue;
      }
      if (text.length() > 0 && text.charAt(text.length() - 1) != ':') {
        text.append(':');
      }
      text.append(Integer.toHexString(groups[i]));
    }
    return text.toString();
  }

  /** {@code address:port}, an IPv6 address in brackets: {@code [2001:db8::1]:443}. */
  public static String format(InetAddress address, int port) {
    String text = format(address);
    return (address.getAddress().length == 16 ? "[" + text + "]" : text) + ":" + port;
  }

  /** {@code InetAddress.getByAddress} for 4 or 16 bytes, without its checked exception. */
  public static InetAddress toAddress(byte[] bytes) {
    if (bytes.length != 4 && bytes.length != 16) {
      throw new IllegalArgumentException("an address has 4 or 16 bytes, not " + bytes.length);
    }
    try {
      return InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always an address", e);
    }
  }

  /** Parses {@code s[from, to)} as a dotted quad into {@code out[off, off + 4)}. */
  private static boolean ipv4(String s, int from, int to, byte[] out, int off) {
    int part = 0;
    int value = 0;
    int digits = 0;
    for (int i = from; i <= to; i++) {
      char c = i < to ? s.charAt(i) : '.';
      if (c == '.') {
        if (digits == 0 || part == 4) {
          return false;
        }
        out[off + part++] = (byte) value;
        value = 0;
        digits = 0;
      } else if (c >= '0' && c <= '9') {
        if (digits > 0 && value == 0) {
          return false; // a leading zero
        }
        value = value * 10 + (c - '0');
        if (++digits > 3 || value > 255) {
          return false;
        }
      } else {
        return false;
      }
    }
    return part == 4;
  }

  private static byte[] ipv6(String s) {
    int n = s.length();
    if (n < 2) {
      return null;
    }
    byte[] out = new byte[16];
    int groups = 0;
    int gap = -1; // the group index where "::" stands
    int i = 0;
    if (s.charAt(0) == ':') {
      if (s.charAt(1) != ':') {
        return null;
      }
      gap = 0;
      i = 2;
    }
    while (i < n) {
      if (groups == 8) {
        return null;
      }
      int start = i;
      int value = 0;
      while (i < n && hex(s.charAt(i)) >= 0) {
        if (i - start == 4) {
          return null;
        }
        value = value << 4 | hex(s.charAt(i++));
      }
      if (i < n && s.charAt(i) == '.') {
        if (groups > 6 || !ipv4(s, start, n, out, 2 * groups)) {
          return null;
        }
        groups += 2;
        break;
      }
      if (i == start) {
        return null;
      }
      out[2 * groups] = (byte) (value >>> 8);
      out[2 * groups + 1] = (byte) value;
      groups++;
      if (i == n) {
        break;
      }
      if (s.charAt(i++) != ':' || i == n) {
        return null; // a stray character, or a single trailing colon
      }
      if (s.charAt(i) == ':') {
        if (gap >= 0) {
          return null;
        }
        gap = groups;
        i++;
      }
    }
    if (gap < 0) {
      return groups == 8 ? out : null;
    }
    if (groups > 7) {
      return null; // "::" stands for at least one group
    }
    int tail = 2 * (groups - gap);
    System.arraycopy(out, 2 * gap, out, 16 - tail, tail);
    Arrays.fill(out, 2 * gap, 16 - tail, (byte) 0);
    return out;
  }

  /** The value of an ASCII hex digit, or -1 ({@link Character#digit} takes other scripts too). */
  private static int hex(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    return -1;
  }

  /** The text for an error message: quoted, cut short so hostile input cannot flood a log. */
  static String quote(String text) {
    if (text == null) {
      return "null";
    }
    return "\"" + (text.length() <= 64 ? text : text.substring(0, 64) + "...") + "\"";
  }
}
