package dev.turnout.natrewrite;

import dev.turnout.netbase.Ipv4;

/**
 * The reverse-map key: protocol and session address packed in a long, so that a TCP and a UDP
 * session may share an (IP, port) pair without colliding. An IPv4 session address is the address
 * itself; an IPv6 one is its index in the table's IPv6 NAT pool, with a family bit that keeps the
 * two families apart. Mutable only for the TUN thread's reused probe; keys stored in a map are
 * never mutated.
 */
final class SessionKey {
  private static final long IPV6 = 1L << 56;

  long packed;

  SessionKey set(int protocol, int address, int port) {
    packed = pack(protocol, address, port);
    return this;
  }

  /** An IPv6 session: {@code index} is the address's offset from the start of the v6 NAT pool. */
  SessionKey set6(int protocol, int index, int port) {
    packed = IPV6 | pack(protocol, index, port);
    return this;
  }

  static long pack(int protocol, int address, int port) {
    return (long) (protocol & 0xff) << 48 | Integer.toUnsignedLong(address) << 16 | port;
  }

  boolean ipv6() {
    return (packed & IPV6) != 0;
  }

  int protocol() {
    return (int) (packed >>> 48) & 0xff;
  }

  /** The IPv4 address, or for IPv6 the index in the v6 NAT pool. */
  int address() {
    return (int) (packed >>> 16);
  }

  int port() {
    return (int) packed & 0xffff;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SessionKey k && k.packed == packed;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(packed * 0x9E3779B97F4A7C15L);
  }

  @Override
  public String toString() {
    return (ipv6()
            ? "v6 session #" + Integer.toUnsignedString(address())
            : Ipv4.address(address()).getHostAddress())
        + ":"
        + port()
        + (protocol() == Ipv4Header.PROTOCOL_UDP ? "/udp" : "");
  }
}
