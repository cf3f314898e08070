package dev.turnout.natrewrite;

import dev.turnout.netbase.Ipv4;

/**
 * The forward-map key: protocol and both endpoints of a flow as the app sent it. Mutable only so
 * that the TUN thread can look up with one reused probe instance (no allocation per packet); keys
 * stored in a map are {@link #copy() copies} and never mutated.
 */
final class FlowKey {
  int protocol;
  int sourceAddress;
  int sourcePort;
  int destinationAddress;
  int destinationPort;

  FlowKey set(
      int protocol,
      int sourceAddress,
      int sourcePort,
      int destinationAddress,
      int destinationPort) {
    this.protocol = protocol;
    this.sourceAddress = sourceAddress;
    this.sourcePort = sourcePort;
    this.destinationAddress = destinationAddress;
    this.destinationPort = destinationPort;
    return this;
  }

  FlowKey copy() {
    return new FlowKey()
        .set(protocol, sourceAddress, sourcePort, destinationAddress, destinationPort);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FlowKey k
        && k.sourceAddress == sourceAddress
        && k.destinationAddress == destinationAddress
        && k.sourcePort == sourcePort
        && k.destinationPort == destinationPort
        && k.protocol == protocol;
  }

  @Override
  public int hashCode() {
    int h = sourceAddress * 31 + destinationAddress;
    h = h * 31 + (sourcePort << 16 | destinationPort);
    return h * 31 + protocol;
  }

  @Override
  public String toString() {
    return protocol
        + " "
        + Ipv4.address(sourceAddress).getHostAddress()
        + ":"
        + sourcePort
        + " -> "
        + Ipv4.address(destinationAddress).getHostAddress()
        + ":"
        + destinationPort;
  }
}
