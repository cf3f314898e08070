package dev.turnout.netbase;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;

/**
 * IPv6 addresses as two {@code long}s: the high and low 64 bits in network order, so that {@code
 * 2001:db8::1} is {@code (0x20010db800000000, 1)}. The form packet views and NAT tables keep.
 * Stateless and thread-safe.
 */
public final class Ipv6 {
  private Ipv6() {}

  /**
   * The high 64 bits of an IPv6 address.
   *
   * @throws IllegalArgumentException for an IPv4 address
   */
  public static long high(InetAddress address) {
    return ByteBuffer.wrap(bytes(address)).getLong(0);
  }

  /**
   * The low 64 bits of an IPv6 address.
   *
   * @throws IllegalArgumentException for an IPv4 address
   */
  public static long low(InetAddress address) {
    return ByteBuffer.wrap(bytes(address)).getLong(8);
  }

  /**
   * The address with these bits (no scope); an {@link Inet6Address} even for an IPv4-mapped value,
   * which {@link InetAddress#getByAddress(byte[])} would turn into an IPv4 address.
   */
  public static Inet6Address address(long high, long low) {
    byte[] bytes = ByteBuffer.allocate(16).putLong(high).putLong(low).array();
    try {
      return Inet6Address.getByAddress(null, bytes, null);
    } catch (UnknownHostException e) {
      throw new AssertionError("16 bytes are always an address", e);
    }
  }

  /**
   * The mask of the first {@code prefixLength} bits of the high half (0 to 128; 64 and more give
   * all ones).
   */
  public static long highMask(int prefixLength) {
    check(prefixLength);
    return prefixLength == 0 ? 0 : prefixLength >= 64 ? -1L : -1L << (64 - prefixLength);
  }

  /** The mask of the prefix's bits in the low half (none below 65). */
  public static long lowMask(int prefixLength) {
    check(prefixLength);
    return prefixLength <= 64 ? 0 : -1L << (128 - prefixLength);
  }

  private static void check(int prefixLength) {
    if (prefixLength < 0 || prefixLength > 128) {
      throw new IllegalArgumentException("IPv6 prefix length must be 0 to 128: " + prefixLength);
    }
  }

  private static byte[] bytes(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      throw new IllegalArgumentException("not an IPv6 address: " + address);
    }
    return address.getAddress();
  }
}
