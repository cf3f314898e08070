package dev.turnout.natrewrite;

/**
 * The reverse-map key: a session address (IPv4, port) packed in a long. Mutable only for the TUN
 * thread's reused probe; keys stored in a map are never mutated.
 */
final class SessionKey {
  long packed;

  SessionKey set(int address, int port) {
    packed = pack(address, port);
    return this;
  }

  static long pack(int address, int port) {
    return Integer.toUnsignedLong(address) << 16 | port;
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
    return Ipv4Range.toAddress(address()).getHostAddress() + ":" + port();
  }
}
