package dev.turnout.launcher.config;

import java.net.Inet4Address;

/**
 * How the fake-IP range is divided. The first address after the network address is the TUN's own
 * address (and the default DNS address); the rest of the lower half hands out fake IPs; the upper
 * half, less the broadcast address, is the NAT pool of session addresses. Keeping the two pools
 * disjoint means a fake IP can never be mistaken for a session address.
 */
public record AddressPlan(
    Ipv4Cidr range, int tunAddress, int fakeFirst, int fakeLast, int natFirst, int natLast) {

  /** The smallest range that still leaves both pools usable. */
  public static final int LONGEST_PREFIX = 24;

  public static AddressPlan of(Ipv4Cidr range) {
    if (range.prefixLength() > LONGEST_PREFIX) {
      throw new IllegalArgumentException(
          "the range must be /" + LONGEST_PREFIX + " or larger to hold fake IPs and NAT sessions");
    }
    int half = (int) (range.size() / 2);
    int tun = range.first() + 1;
    return new AddressPlan(
        range, tun, tun + 1, range.first() + half - 1, range.first() + half, range.last() - 1);
  }

  public Inet4Address tunInetAddress() {
    return Ipv4Cidr.toAddress(tunAddress);
  }
}
