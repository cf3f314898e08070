package dev.turnout.natrewrite;

import java.net.InetAddress;

/**
 * Judges a new flow on its first packet (a TCP SYN, or a UDP datagram without a NAT entry) before
 * any NAT entry or socket exists. A rejected TCP flow is answered with a RST, a rejected UDP
 * datagram with ICMP port unreachable; a dropped one gets no answer. An accepted flow's {@link
 * Judgement} is kept with its NAT entry and handed to the relay with the flow ({@link
 * NatFlow#judgement}), so a flow is judged once. Flows hijacked to the DNS listener are not judged.
 *
 * <p>Runs on the TUN reader thread for every new flow: implementations must be thread-safe, must
 * not block (no name resolution, no I/O) and should be fast; when a rule needs something slow,
 * answer {@link Judgement#UNDECIDED} and let the relay decide. An exception counts as UNDECIDED.
 */
@FunctionalInterface
public interface FlowFilter {
  /** Accepts every flow and leaves the decision to the relay. */
  FlowFilter ACCEPT_ALL =
      (protocol, source, sourcePort, destination, destinationPort) -> Judgement.UNDECIDED;

  /** What happens to the first packet. */
  enum Action {
    /** Create the NAT entry and hand the flow to the relay. */
    ACCEPT,
    /**
     * Create a NAT entry to the real destination {@link Judgement#forwardTo} and let the kernel
     * forward the flow there itself, past the relay: for DIRECT TCP flows over IPv4. A rewriter
     * that does not forward (IPv6, UDP, not enabled) treats it as {@link #ACCEPT}.
     */
    FORWARD,
    /** Answer with a RST (TCP) or ICMP port unreachable (UDP). */
    REJECT,
    /** Discard silently. */
    DROP
  }

  /**
   * The filter's verdict on a flow. Implementations may carry more for the relay (the route that
   * was chosen); natrewrite only reads {@link #action} and keeps the object with an accepted flow.
   * Immutable.
   */
  interface Judgement {
    /** Accepted without a decision: the relay decides. */
    Judgement UNDECIDED = () -> Action.ACCEPT;

    Judgement REJECT = () -> Action.REJECT;

    Judgement DROP = () -> Action.DROP;

    Action action();

    /**
     * For {@link Action#FORWARD}: the real IPv4 destination, as a big-endian int, that the flow is
     * forwarded to (same port); 0 otherwise.
     */
    default int forwardTo() {
      return 0;
    }
  }

  /**
   * @param protocol 6 (TCP) or 17 (UDP)
   * @param source the sender (the app's socket, or a LAN host in gateway mode); IPv4 or IPv6, the
   *     family of {@code destination}
   * @param destination the address the sender dialed (a fake IP, or a real one in capture-all mode)
   */
  Judgement judge(
      int protocol,
      InetAddress source,
      int sourcePort,
      InetAddress destination,
      int destinationPort);
}
