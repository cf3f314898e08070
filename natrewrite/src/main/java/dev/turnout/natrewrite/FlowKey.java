package dev.turnout.natrewrite;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.Ipv6;
import java.net.InetAddress;

/**
 * The forward-map key: protocol and both endpoints of a flow as the app sent it, IPv4 or IPv6.
 * Mutable only so that the TUN thread can look up with one reused probe instance (no allocation per
 * packet); keys stored in a map are {@link #copy() copies} and never mutated.
 *
 * <p>An IPv4 key uses the int address fields, an IPv6 key the long halves (high and low 64 bits,
 * big-endian); the family decides which fields count, so a probe reused across families needs no
 * clearing and the IPv4 path writes and compares no more than it did before IPv6.
 */
final class FlowKey {
  int protocol;
  boolean ipv6;
  int sourceAddress;
  int sourcePort;
  int destinationAddress;
  int destinationPort;
  long sourceHigh;
  long sourceLow;
  long destinationHigh;
  long destinationLow;

  FlowKey set(
      int protocol,
      int sourceAddress,
      int sourcePort,
      int destinationAddress,
      int destinationPort) {
    this.protocol = protocol;
    this.ipv6 = false;
    this.sourceAddress = sourceAddress;
    this.sourcePort = sourcePort;
    this.destinationAddress = destinationAddress;
    this.destinationPort = destinationPort;
    return this;
  }

  FlowKey set6(
      int protocol,
      long sourceHigh,
      long sourceLow,
      int sourcePort,
      long destinationHigh,
      long destinationLow,
      int destinationPort) {
    this.protocol = protocol;
    this.ipv6 = true;
    this.sourceHigh = sourceHigh;
    this.sourceLow = sourceLow;
    this.sourcePort = sourcePort;
    this.destinationHigh = destinationHigh;
    this.destinationLow = destinationLow;
    this.destinationPort = destinationPort;
    return this;
  }

  FlowKey copy() {
    FlowKey copy = new FlowKey();
    return ipv6
        ? copy.set6(
            protocol,
            sourceHigh,
            sourceLow,
            sourcePort,
            destinationHigh,
            destinationLow,
            destinationPort)
        : copy.set(protocol, sourceAddress, sourcePort, destinationAddress, destinationPort);
  }

  /** The sender's address; allocates (first packets and logs only). */
  InetAddress sourceInetAddress() {
    return ipv6 ? Ipv6.address(sourceHigh, sourceLow) : Ipv4.address(sourceAddress);
  }

  /** The address the sender dialed; allocates (first packets and logs only). */
  InetAddress destinationInetAddress() {
    return ipv6 ? Ipv6.address(destinationHigh, destinationLow) : Ipv4.address(destinationAddress);
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof FlowKey k)
        || k.ipv6 != ipv6
        || k.sourcePort != sourcePort
        || k.destinationPort != destinationPort
        || k.protocol != protocol) {
      return false;
    }
    return ipv6
        ? k.sourceLow == sourceLow
            && k.destinationLow == destinationLow
            && k.sourceHigh == sourceHigh
            && k.destinationHigh == destinationHigh
        : k.sourceAddress == sourceAddress && k.destinationAddress == destinationAddress;
  }

  @Override
  public int hashCode() {
    int h =
        ipv6
            ? Long.hashCode(sourceLow * 31 + destinationLow) * 31
                + Long.hashCode(sourceHigh ^ destinationHigh)
            : sourceAddress * 31 + destinationAddress;
    h = h * 31 + (sourcePort << 16 | destinationPort);
    return h * 31 + protocol;
  }

  @Override
  public String toString() {
    return protocol
        + " "
        + endpoint(sourceInetAddress(), sourcePort)
        + " -> "
        + endpoint(destinationInetAddress(), destinationPort);
  }

  private static String endpoint(InetAddress address, int port) {
    return IpLiterals.format(address, port);
  }
}
