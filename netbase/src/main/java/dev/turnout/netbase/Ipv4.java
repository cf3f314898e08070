package dev.turnout.netbase;

import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * IPv4 addresses as {@code int}s: the 32 bits in network order, so that {@code 1.2.3.4} is {@code
 * 0x01020304}; compare them with {@link Integer#compareUnsigned}. The form NAT tables and prefix
 * indexes keep. Stateless and thread-safe.
 */
public final class Ipv4 {
  private Ipv4() {}

  /**
   * The bits of an IPv4 address.
   *
   * @throws IllegalArgumentException for an IPv6 address
   */
  public static int toInt(InetAddress address) {
    if (!(address instanceof Inet4Address)) {
      throw new IllegalArgumentException("not an IPv4 address: " + address);
    }
    return toInt(address.getAddress(), 0);
  }

  /** The four bytes at {@code offset} of {@code bytes} as an address's bits. */
  public static int toInt(byte[] bytes, int offset) {
    return (bytes[offset] & 0xff) << 24
        | (bytes[offset + 1] & 0xff) << 16
        | (bytes[offset + 2] & 0xff) << 8
        | bytes[offset + 3] & 0xff;
  }

  /** The address with bits {@code value}. */
  public static Inet4Address address(int value) {
    return (Inet4Address) IpLiterals.toAddress(toBytes(value));
  }

  /** The four network-order bytes of {@code value}. */
  public static byte[] toBytes(int value) {
    return new byte[] {
      (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value
    };
  }

  /** Dotted-quad text of {@code value}. */
  public static String format(int value) {
    return (value >>> 24)
        + "."
        + (value >>> 16 & 0xff)
        + "."
        + (value >>> 8 & 0xff)
        + "."
        + (value & 0xff);
  }

  /**
   * The netmask of a prefix length: {@code mask(24) == 0xffffff00}.
   *
   * @throws IllegalArgumentException unless {@code 0 <= prefixLength <= 32}
   */
  public static int mask(int prefixLength) {
    if (prefixLength < 0 || prefixLength > 32) {
      throw new IllegalArgumentException("IPv4 prefix length must be 0 to 32: " + prefixLength);
    }
    return prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
  }
}
