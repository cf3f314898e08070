package dev.turnout.launcher.config;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** An IPv4 network such as {@code 198.18.0.0/15}; host bits in the text are ignored. */
public record Ipv4Cidr(int network, int prefixLength) {

  public static Ipv4Cidr parse(String text) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("expected ADDRESS/PREFIX such as 198.18.0.0/15");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("prefix length is not a number");
    }
    if (prefix < 0 || prefix > 32) {
      throw new IllegalArgumentException("prefix length must be 0 to 32");
    }
    int address = toInt(parseLiteral(text.substring(0, slash)));
    return new Ipv4Cidr(address & mask(prefix), prefix);
  }

  /** Parses a dotted-quad literal without ever consulting a resolver. */
  public static Inet4Address parseLiteral(String text) {
    String[] parts = text.split("\\.", -1);
    if (parts.length != 4) {
      throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
    }
    byte[] bytes = new byte[4];
    for (int i = 0; i < 4; i++) {
      int value;
      try {
        value = Integer.parseInt(parts[i]);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
      }
      if (value < 0 || value > 255 || parts[i].length() > 3) {
        throw new IllegalArgumentException("\"" + text + "\" is not an IPv4 address");
      }
      bytes[i] = (byte) value;
    }
    return toAddress(bytes);
  }

  public static int mask(int prefix) {
    return prefix == 0 ? 0 : -1 << (32 - prefix);
  }

  public int first() {
    return network;
  }

  public int last() {
    return network | ~mask(prefixLength);
  }

  public long size() {
    return 1L << (32 - prefixLength);
  }

  public boolean contains(int address) {
    return (address & mask(prefixLength)) == network;
  }

  public static int toInt(InetAddress address) {
    byte[] b = address.getAddress();
    return (b[0] & 0xff) << 24 | (b[1] & 0xff) << 16 | (b[2] & 0xff) << 8 | (b[3] & 0xff);
  }

  public static Inet4Address toAddress(int value) {
    return toAddress(
        new byte[] {
          (byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value
        });
  }

  private static Inet4Address toAddress(byte[] bytes) {
    try {
      return (Inet4Address) InetAddress.getByAddress(bytes);
    } catch (UnknownHostException e) {
      throw new AssertionError("four bytes are always a valid address", e);
    }
  }

  @Override
  public String toString() {
    return toAddress(network).getHostAddress() + "/" + prefixLength;
  }
}
