package dev.turnout.netbase;

import java.net.InetAddress;
import java.util.Arrays;

/**
 * An IPv4 or IPv6 prefix such as {@code 198.18.0.0/15} or {@code 2001:db8::/32}: the addresses
 * whose first {@link #prefixLength} bits equal those of {@link #network}. Immutable.
 *
 * <p>Text is {@code ADDRESS/LENGTH}: the address as {@link IpLiterals} parses it, the length 1 to 3
 * ASCII decimal digits without a sign or leading zero, 0 to 32 for IPv4 and 0 to 128 for IPv6. An
 * IPv4-mapped IPv6 prefix ({@code ::ffff:198.18.0.0/111}) is the IPv4 prefix of 96 bits less (as
 * the address itself is an IPv4 address), and must be at least 96 long. Host bits (bits after the
 * prefix) are where callers differ, so each says what it wants: {@link #parseMasking} clears them
 * (as Clash rules and {@code ip route} read {@code 198.18.5.5/15}), {@link #parseStrict} refuses
 * them.
 */
public final class Cidr {
  private final byte[] bits; // the network, 4 or 16 bytes, host bits clear
  private final int prefixLength;

  private Cidr(byte[] bits, int prefixLength) {
    this.bits = bits;
    this.prefixLength = prefixLength;
  }

  /**
   * Parses {@code ADDRESS/LENGTH}, clearing any host bits.
   *
   * @throws IllegalArgumentException with a message for the user
   */
  public static Cidr parseMasking(String text) {
    return parse(text, true);
  }

  /**
   * Parses {@code ADDRESS/LENGTH} whose host bits are all zero.
   *
   * @throws IllegalArgumentException with a message for the user, also when host bits are set
   */
  public static Cidr parseStrict(String text) {
    return parse(text, false);
  }

  /** The prefix of {@code address} of {@code prefixLength} bits, host bits cleared. */
  public static Cidr of(InetAddress address, int prefixLength) {
    byte[] bytes = address.getAddress();
    if (prefixLength < 0 || prefixLength > bytes.length * 8) {
      throw new IllegalArgumentException(
          "prefix length must be 0 to " + bytes.length * 8 + ": " + prefixLength);
    }
    return new Cidr(masked(bytes, prefixLength), prefixLength);
  }

  /** The prefix holding only {@code address} (/32 or /128). */
  public static Cidr host(InetAddress address) {
    byte[] bytes = address.getAddress();
    return new Cidr(bytes, bytes.length * 8);
  }

  private static Cidr parse(String text, boolean mask) {
    int slash = text == null ? -1 : text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException(
          "expected ADDRESS/LENGTH such as 198.18.0.0/15 or 2001:db8::/32, got "
              + IpLiterals.quote(text));
    }
    byte[] bytes = IpLiterals.parseBytes(text.substring(0, slash));
    if (bytes == null) {
      throw new IllegalArgumentException(
          "not an IP address: " + IpLiterals.quote(text.substring(0, slash)));
    }
    int length = prefixLength(text.substring(slash + 1));
    if (length < 0) {
      throw new IllegalArgumentException(
          "bad prefix length: " + IpLiterals.quote(text.substring(slash + 1)));
    }
    if (length > bytes.length * 8) {
      throw new IllegalArgumentException("prefix length out of range 0.." + bytes.length * 8);
    }
    if (isIpv4Mapped(bytes)) {
      if (length < 96) {
        throw new IllegalArgumentException(
            "prefix length out of range 96..128 for an IPv4-mapped address");
      }
      bytes = Arrays.copyOfRange(bytes, 12, 16);
      length -= 96;
    }
    byte[] network = masked(bytes, length);
    if (!mask && !Arrays.equals(network, bytes)) {
      throw new IllegalArgumentException(
          "host bits set in "
              + IpLiterals.quote(text)
              + "; the network is "
              + new Cidr(network, length));
    }
    return new Cidr(network, length);
  }

  /** 0 to 999 for a well-formed length, -1 otherwise. */
  private static int prefixLength(String s) {
    if (s.isEmpty() || s.length() > 3 || (s.length() > 1 && s.charAt(0) == '0')) {
      return -1;
    }
    int value = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      value = value * 10 + (c - '0');
    }
    return value;
  }

  static boolean isIpv4Mapped(byte[] b) {
    if (b.length != 16 || b[10] != (byte) 0xff || b[11] != (byte) 0xff) {
      return false;
    }
    for (int i = 0; i < 10; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] masked(byte[] bytes, int length) {
    byte[] out = bytes.clone();
    for (int i = 0; i < out.length; i++) {
      int keep = Math.max(0, Math.min(8, length - 8 * i));
      out[i] &= (byte) (0xff << (8 - keep));
    }
    return out;
  }

  public boolean isIpv4() {
    return bits.length == 4;
  }

  /** 32 or 128. */
  public int addressBits() {
    return bits.length * 8;
  }

  public int prefixLength() {
    return prefixLength;
  }

  /** The first address (host bits zero). */
  public InetAddress network() {
    return IpLiterals.toAddress(bits);
  }

  /** The first address, the network itself. */
  public InetAddress first() {
    return network();
  }

  /** The last address (host bits one; for IPv4 the broadcast address). */
  public InetAddress last() {
    byte[] out = bits.clone();
    for (int i = prefixLength; i < out.length * 8; i++) {
      out[i / 8] |= (byte) (0x80 >>> (i % 8));
    }
    return IpLiterals.toAddress(out);
  }

  /** The network's bits as {@link Ipv4#toInt}. @throws IllegalStateException for IPv6 */
  public int firstIpv4() {
    requireIpv4();
    return Ipv4.toInt(bits, 0);
  }

  /** The last address's bits. @throws IllegalStateException for IPv6 */
  public int lastIpv4() {
    return firstIpv4() | ~Ipv4.mask(prefixLength);
  }

  /** The number of addresses, saturated at {@link Long#MAX_VALUE} (IPv6 prefixes up to /64). */
  public long size() {
    int hostBits = addressBits() - prefixLength;
    return hostBits >= 63 ? Long.MAX_VALUE : 1L << hostBits;
  }

  /** Whether {@code address} is in this prefix; never for an address of the other family. */
  public boolean contains(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length != bits.length) {
      return false;
    }
    int full = prefixLength / 8;
    for (int i = 0; i < full; i++) {
      if (b[i] != bits[i]) {
        return false;
      }
    }
    int rest = prefixLength % 8;
    return rest == 0 || ((b[full] ^ bits[full]) & (0xff << (8 - rest)) & 0xff) == 0;
  }

  /** Whether the IPv4 address {@code address} is in this prefix; false if this one is IPv6. */
  public boolean contains(int address) {
    return isIpv4() && (address & Ipv4.mask(prefixLength)) == Ipv4.toInt(bits, 0);
  }

  private void requireIpv4() {
    if (!isIpv4()) {
      throw new IllegalStateException("not an IPv4 prefix: " + this);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Cidr c && c.prefixLength == prefixLength && Arrays.equals(c.bits, bits);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bits) * 31 + prefixLength;
  }

  /** {@code network/length}, the network as {@link InetAddress#getHostAddress} writes it. */
  @Override
  public String toString() {
    return network().getHostAddress() + "/" + prefixLength;
  }
}
