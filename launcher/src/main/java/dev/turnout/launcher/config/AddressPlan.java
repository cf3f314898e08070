package dev.turnout.launcher.config;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.Ipv4;
import java.net.Inet4Address;

/**
 * How the fake-IP range is divided. The first address after the network address is the TUN's own
 * address (and the default DNS address); the rest of the lower half hands out fake IPs; the upper
 * half, less the broadcast address, is the NAT pool of session addresses. Keeping the two pools
 * disjoint means a fake IP can never be mistaken for a session address. {@code ipv6} divides the
 * IPv6 range the same way, or is null while IPv6 is off.
 */
public record AddressPlan(
    Cidr range,
    int tunAddress,
    int fakeFirst,
    int fakeLast,
    int natFirst,
    int natLast,
    AddressPlan6 ipv6) {

  /** The smallest range that still leaves both pools usable. */
  public static final int LONGEST_PREFIX = 24;

  /** An IPv4 range such as {@code 198.18.0.0/15}; host bits in the text are ignored. */
  public static Cidr ipv4Range(String text) {
    Cidr range = Cidr.parseMasking(text);
    if (!range.isIpv4()) {
      throw new IllegalArgumentException("expected an IPv4 range such as 198.18.0.0/15");
    }
    return range;
  }

  public static AddressPlan of(Cidr range) {
    if (range.prefixLength() > LONGEST_PREFIX) {
      throw new IllegalArgumentException(
          "the range must be /" + LONGEST_PREFIX + " or larger to hold fake IPs and NAT sessions");
    }
    int half = (int) (range.size() / 2);
    int first = range.firstIpv4();
    int tun = first + 1;
    return new AddressPlan(
        range, tun, tun + 1, first + half - 1, first + half, range.lastIpv4() - 1, null);
  }

  /** This plan with IPv6 on, divided as {@code ipv6} says. */
  public AddressPlan withIpv6(AddressPlan6 ipv6) {
    return new AddressPlan(range, tunAddress, fakeFirst, fakeLast, natFirst, natLast, ipv6);
  }

  public Inet4Address tunInetAddress() {
    return Ipv4.address(tunAddress);
  }
}
