package dev.turnout.natrewrite;

import dev.turnout.netbase.Ipv4;

/**
 * The reverse-map key: protocol and session address (IPv4, port) packed in a long, so that a TCP
 * and a UDP session may share an (IP, port) pair without colliding. Mutable only for the TUN
 * thread's reused probe; keys stored in a map are never mutated.
 */
final class SessionKey {
  long packed;

  SessionKey set(int protocol, int address, int port) {
    packed = pack(protocol, address, port);
    return this;
  }

  static long pack(int protocol, int address, int port) {
    return (long) (protocol & 0xff) << 48 | Integer.toUnsignedLong(address) << 16 | port;
  }

  int protocol() {
    return (int) (packed >>> 48) & 0xff;
  }

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
    return Ipv4.address(address()).getHostAddress()
        + ":"
        + port()
        + (protocol() == Ipv4Header.PROTOCOL_UDP ? "/udp" : "");
  }
}
