package dev.turnout.natrewrite;

import java.net.Inet4Address;

/**
 * The early verdict on a new flow, consulted on its first packet (a TCP SYN, or a UDP datagram
 * without a NAT entry) before any NAT entry or socket exists. A rejected TCP flow is answered with
 * a RST, a rejected UDP datagram with ICMP port unreachable; a dropped one gets no answer. Flows
 * hijacked to the DNS listener are not judged.
 *
 * <p>Runs on the TUN reader thread for every new flow: implementations must be thread-safe, must
 * not block (no name resolution, no I/O) and should be fast; when a rule needs something slow,
 * answer {@link Decision#ACCEPT} and let the relay decide. An exception counts as ACCEPT.
 */
@FunctionalInterface
public interface FlowFilter {
  /** Accepts every flow. */
  FlowFilter ACCEPT_ALL =
      (protocol, source, sourcePort, destination, destinationPort) -> Decision.ACCEPT;

  enum Decision {
    /** Create the NAT entry and hand the flow to the relay. */
    ACCEPT,
    /** Answer with a RST (TCP) or ICMP port unreachable (UDP). */
    REJECT,
    /** Discard silently. */
    DROP
  }

  /**
   * @param protocol 6 (TCP) or 17 (UDP)
   * @param source the sender (the app's socket, or a LAN host in gateway mode)
   * @param destination the address the sender dialed (a fake IP, or a real one in capture-all mode)
   */
  Decision judge(
      int protocol,
      Inet4Address source,
      int sourcePort,
      Inet4Address destination,
      int destinationPort);
}
