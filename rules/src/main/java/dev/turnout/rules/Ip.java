package dev.turnout.rules;

import dev.turnout.netbase.Ipv4;
import java.net.InetAddress;

/**
 * An address as bits for the prefix tries: IPv4 in the low 32 bits of {@code lo}, IPv6 in {@code
 * hi:lo}. IPv4-mapped IPv6 addresses ({@code ::ffff:a.b.c.d}) become IPv4, so that IPv4 CIDRs match
 * them as Clash does.
 */
final class Ip {
  final boolean v6;
  final long hi;
  final long lo;
  final InetAddress address;

  private Ip(boolean v6, long hi, long lo, InetAddress address) {
    this.v6 = v6;
    this.hi = hi;
    this.lo = lo;
    this.address = address;
  }

  static Ip of(InetAddress a) {
    if (a == null) {
      return null;
    }
    byte[] b = a.getAddress();
    if (b.length == 4) {
      return new Ip(false, 0, Integer.toUnsignedLong(Ipv4.toInt(b, 0)), a);
    }
    long hi = long64(b, 0);
    long lo = long64(b, 8);
    if (hi == 0 && (lo >>> 32) == 0xffffL) {
      return new Ip(false, 0, lo & 0xffffffffL, Ipv4.address((int) lo));
    }
    return new Ip(true, hi, lo, a);
  }

  /** Bit {@code i} counted from the most significant, of 32 (IPv4) or 128 (IPv6). */
  int bit(int i) {
    if (!v6) {
      return (int) (lo >>> (31 - i)) & 1;
    }
    return i < 64 ? (int) (hi >>> (63 - i)) & 1 : (int) (lo >>> (127 - i)) & 1;
  }

  int bits() {
    return v6 ? 128 : 32;
  }

  /** Private, loopback, link-local, CGNAT, unique-local and unspecified: Clash's {@code LAN}. */
  boolean isLan() {
    InetAddress a = address;
    if (a.isLoopbackAddress()
        || a.isSiteLocalAddress()
        || a.isLinkLocalAddress()
        || a.isAnyLocalAddress()) {
      return true;
    }
    if (!v6) {
      return (lo >>> 22) == (100L << 2 | 1); // 100.64.0.0/10
    }
    return (hi >>> 57) == (0xfcL >>> 1); // fc00::/7
  }

  private static long long64(byte[] b, int off) {
    return Integer.toUnsignedLong(Ipv4.toInt(b, off)) << 32
        | Integer.toUnsignedLong(Ipv4.toInt(b, off + 4));
  }

  @Override
  public String toString() {
    return address.getHostAddress();
  }
}
