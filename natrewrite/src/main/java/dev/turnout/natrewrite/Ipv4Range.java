package dev.turnout.natrewrite;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.Ipv4;
import java.net.Inet4Address;

/**
 * An inclusive range of IPv4 addresses held as ints (network byte order values, compared unsigned),
 * from which the launcher builds a {@link NatTable} and a {@link PacketRewriter} from CIDR strings.
 * Immutable.
 */
public record Ipv4Range(int first, int last) {

  public Ipv4Range {
    if (Integer.compareUnsigned(first, last) > 0) {
      throw new IllegalArgumentException(
          "empty range " + Ipv4.format(first) + "-" + Ipv4.format(last));
    }
  }

  /** All addresses of {@code "a.b.c.d/len"} (host bits ignored), network and broadcast included. */
  public static Ipv4Range ofCidr(String cidr) {
    Cidr block = Cidr.parseMasking(cidr);
    if (!block.isIpv4()) {
      throw new IllegalArgumentException("not an IPv4 CIDR: " + cidr);
    }
    return new Ipv4Range(block.firstIpv4(), block.lastIpv4());
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
    return contains(Ipv4.toInt(address));
  }

  /** Number of addresses in the range. */
  public long size() {
    return Integer.toUnsignedLong(last - first) + 1;
  }

  @Override
  public String toString() {
    return Ipv4.format(first) + "-" + Ipv4.format(last);
  }
}
