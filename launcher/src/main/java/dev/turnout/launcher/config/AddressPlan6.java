package dev.turnout.launcher.config;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.Ipv6;
import java.math.BigInteger;
import java.net.Inet6Address;

/**
 * How the IPv6 range ({@code dns.fake-ip-range6}, {@code fdfe:dcba:9876::/64} by default) is
 * divided, as {@link AddressPlan} divides the IPv4 one: the first address after the network address
 * is the TUN's own IPv6 address (mihomo's default TUN address too), the rest of the lower half
 * hands out fake IPv6 addresses (at most 2^24 of them), the upper half holds the NAT pool of
 * session addresses (its first 2^16 addresses, each with ports 1024 to 65535). The TUN gets the
 * whole range as its prefix, so the kernel routes all of it into the TUN.
 *
 * @param fakeCount fake addresses from {@code fakeFirst}
 * @param natCount session addresses from {@code natFirst}
 */
public record AddressPlan6(
    Cidr range,
    Inet6Address tunAddress,
    Inet6Address fakeFirst,
    long fakeCount,
    Inet6Address natFirst,
    int natCount) {

  public static final String DEFAULT_RANGE = "fdfe:dcba:9876::/64";

  /** The smallest range that still leaves both pools usable (128 addresses each). */
  public static final int LONGEST_PREFIX = 120;

  private static final long MAX_FAKE = 1L << 24;
  private static final long MAX_NAT = 1L << 16;

  /** An IPv6 range such as {@code fdfe:dcba:9876::/64}; host bits in the text are ignored. */
  public static Cidr ipv6Range(String text) {
    Cidr range = Cidr.parseMasking(text);
    if (range.isIpv4()) {
      throw new IllegalArgumentException("expected an IPv6 range such as " + DEFAULT_RANGE);
    }
    return range;
  }

  public static AddressPlan6 of(Cidr range) {
    if (range.isIpv4() || range.prefixLength() > LONGEST_PREFIX) {
      throw new IllegalArgumentException(
          "the IPv6 range must be /"
              + LONGEST_PREFIX
              + " or larger to hold fake IPs and NAT sessions");
    }
    BigInteger network = new BigInteger(1, range.network().getAddress());
    BigInteger half = BigInteger.ONE.shiftLeft(127 - range.prefixLength());
    long fakeCount = half.subtract(BigInteger.TWO).min(BigInteger.valueOf(MAX_FAKE)).longValue();
    int natCount = (int) half.min(BigInteger.valueOf(MAX_NAT)).longValue();
    return new AddressPlan6(
        range,
        address(network.add(BigInteger.ONE)),
        address(network.add(BigInteger.TWO)),
        fakeCount,
        address(network.add(half)),
        natCount);
  }

  private static Inet6Address address(BigInteger value) {
    return Ipv6.address(value.shiftRight(64).longValue(), value.longValue());
  }
}
