package dev.turnout.inbound.transparent;

import com.sun.jna.Memory;
import dev.turnout.netbase.ErrnoException;
import dev.turnout.netbase.LibC;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;

/**
 * Where a connection that a firewall REDIRECT (or DNAT) turned to this host was going: the
 * destination of the connection's original direction, as conntrack keeps it, read with {@code
 * SO_ORIGINAL_DST} (IPv4) or {@code IP6T_SO_ORIGINAL_DST} (IPv6). The reading of the {@code
 * sockaddr} it returns is apart from the call, for tests.
 */
final class OriginalDestination {
  private static final int SOL_IP = 0;
  private static final int SOL_IPV6 = 41;

  /** SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST share the number, at their own levels. */
  private static final int SO_ORIGINAL_DST = 80;

  private static final int SOCKADDR_IN = 16;
  private static final int SOCKADDR_IN6 = 28;

  private OriginalDestination() {}

  /**
   * The original destination of the accepted socket {@code fd}, whose peer is {@code client}.
   *
   * @throws ErrnoException ENOENT when conntrack knows no such connection (it was not redirected,
   *     or conntrack is not loaded)
   */
  static InetSocketAddress of(int fd, InetSocketAddress client) throws ErrnoException {
    boolean v4 = client.getAddress() instanceof Inet4Address; // mapped IPv4 peers included
    Memory value = new Memory(SOCKADDR_IN6);
    Memory length = new Memory(4);
    length.setInt(0, v4 ? SOCKADDR_IN : SOCKADDR_IN6);
    LibC.check(
        LibC.getsockopt(fd, v4 ? SOL_IP : SOL_IPV6, SO_ORIGINAL_DST, value, length),
        v4 ? "getsockopt SO_ORIGINAL_DST" : "getsockopt IP6T_SO_ORIGINAL_DST");
    InetSocketAddress read = read(value.getByteArray(0, length.getInt(0)));
    if (read == null) {
      throw new ErrnoException("read the original destination", LibC.EINVAL);
    }
    return read;
  }

  /**
   * A {@code sockaddr_in} or {@code sockaddr_in6} (family in host order, port in network order), or
   * null if {@code sockaddr} is neither.
   */
  static InetSocketAddress read(byte[] sockaddr) {
    if (sockaddr.length < 4) {
      return null;
    }
    int family = (sockaddr[0] & 0xff) | (sockaddr[1] & 0xff) << 8; // x86-64 and arm64: little end
    int port = (sockaddr[2] & 0xff) << 8 | (sockaddr[3] & 0xff);
    byte[] address;
    if (family == LibC.AF_INET && sockaddr.length >= 8) {
      address = java.util.Arrays.copyOfRange(sockaddr, 4, 8);
    } else if (family == LibC.AF_INET6 && sockaddr.length >= 24) {
      address = java.util.Arrays.copyOfRange(sockaddr, 8, 24);
    } else {
      return null;
    }
    try {
      return new InetSocketAddress(InetAddress.getByAddress(address), port);
    } catch (UnknownHostException e) {
      throw new AssertionError(e); // 4 or 16 bytes
    }
  }
}
