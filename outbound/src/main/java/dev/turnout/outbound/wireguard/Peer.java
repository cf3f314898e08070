package dev.turnout.outbound.wireguard;

import dev.turnout.netbase.Cidr;
import java.util.List;

/**
 * What the tunnel engine needs to know about its one peer: the keys, the three {@code reserved}
 * bytes written into every message, the addresses it may carry ({@code allowed-ips}: packets to
 * others are not sent, packets from others are dropped), the device MTU and the persistent
 * keepalive interval (0 for none). Immutable.
 */
record Peer(
    StaticKeys keys, byte[] reserved, List<Cidr> allowedIps, int mtu, int keepaliveSeconds) {
  Peer {
    if (reserved.length != 3) {
      throw new IllegalArgumentException("reserved is 3 bytes");
    }
    reserved = reserved.clone();
    allowedIps = List.copyOf(allowedIps);
  }

  /** True when the IPv4 address (as an int) is inside {@code allowed-ips}. */
  boolean allows(int ipv4) {
    for (Cidr c : allowedIps) {
      if (c.isIpv4() && c.contains(ipv4)) {
        return true;
      }
    }
    return false;
  }
}
