package dev.turnout.natrewrite;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An inclusive range of IPv4 addresses held as ints (network byte order values, compared unsigned),
 * with the conversions the launcher needs to build a {@link NatTable} and a {@link PacketRewriter}
 * from CIDR strings. Immutable.
 */
public record Ipv4Range(int first, int last) {

  public Ipv4Range {
    if (Integer.compareUnsigned(first, last) > 0) {
      throw new IllegalArgumentException(
          "empty range "
              + toAddress(first).getHostAddress()
              + "-"
              + toAddress(last).getHostAddress());
    }
  }

  /** All addresses of {@code "a.b.c.d/len"}, network and broadcast included. */
  public static Ipv4Range ofCidr(String cidr) {
    int slash = cidr.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("not a CIDR: " + cidr);
    }
    int prefix;
    try {
      prefix = Integer.parseInt(cidr.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad prefix length in " + cidr, e);
    }
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("bad prefix length in " + cidr);
    }
    int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
    int network = toInt(parseLiteral(cidr.substring(0, slash))) & mask;
    return new Ipv4Range(network, network | ~mask);
  }

  /** Like {@link #ofCidr} but without the network and broadcast addresses (for /30 and wider). */
  public static Ipv4Range hostsOfCidr(String cidr) {
    Ipv4Range all = ofCidr(cidr);
    if (Integer.compareUnsigned(all.last - all.first, 2) < 0) {
      throw new IllegalArgumentException("no host addresses in " + cidr);
    }
    return new Ipv4Range(all.first + 1, all.last - 1);
  }

  public boolean contains(int address) {
    return Integer.compareUnsigned(address - first, last - first) <= 0;
  }

  public boolean contains(Inet4Address address) {
    return contains(toInt(address));
  }

  /** Number of addresses in the range. */
  public long size() {
    return Integer.toUnsignedLong(last - first) + 1;
  }

  public static int toInt(Inet4Address address) {
    byte[] b = address.getAddress();
    return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
  }

  public static Inet4Address toAddress(int address) {
    byte[] b = {
      (byte) (address >>> 24), (byte) (address >>> 16), (byte) (address >>> 8), (byte) address
    };
    try {
      return (Inet4Address) InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // impossible for a 4-byte array
    }
  }

  /** Parses a dotted-quad literal without any name lookup. */
  static Inet4Address parseLiteral(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("not an IPv4 address: " + text);
    }
    int value = 0;
    for (String part : parts) {
      int octet;
      try {
        octet = Integer.parseInt(part);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not an IPv4 address: " + text, e);
      }
      if (octet < 0 || octet > 255 || part.isEmpty() || part.startsWith("+")) {
        throw new IllegalArgumentException("not an IPv4 address: " + text);
      }
      value = value << 8 | octet;
    }
    return toAddress(value);
  }

  @Override
  public String toString() {
    return toAddress(first).getHostAddress() + "-" + toAddress(last).getHostAddress();
  }
}
