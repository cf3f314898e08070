package dev.turnout.fakedns;

import dev.turnout.netbase.Ipv4;
import java.net.Inet4Address;
import java.net.InetAddress;

/**
 * The IPv4 range (inclusive, addresses as big-endian ints) Turnout must never dial or hand out as a
 * real address: its own fake-IP range. {@link #NONE} forbids nothing. Immutable.
 */
record ForbiddenRange(int first, int last) {
  /** Empty: first &gt; last (unsigned). */
  static final ForbiddenRange NONE = new ForbiddenRange(-1, 0);

  boolean contains(InetAddress address) {
    if (!(address instanceof Inet4Address v4)) {
      return false;
    }
    int a = Ipv4.toInt(v4);
    return Integer.compareUnsigned(a, first) >= 0 && Integer.compareUnsigned(a, last) <= 0;
  }
}
