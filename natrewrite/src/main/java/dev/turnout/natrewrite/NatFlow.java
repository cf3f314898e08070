package dev.turnout.natrewrite;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * The original flow behind a session address, as the app sent it: {@code source} is the app's
 * socket (e.g. 198.18.0.1:40001) and {@code destination} the fake address it dialled (e.g.
 * 198.18.3.7:443); both IPv4 or both IPv6; {@code judgement} is what the {@link FlowFilter} decided
 * on its first packet ({@link FlowFilter.Judgement#UNDECIDED} when it did not decide). Immutable;
 * one instance per NAT entry.
 */
public record NatFlow(
    InetAddress sourceAddress,
    int sourcePort,
    InetAddress destinationAddress,
    int destinationPort,
    FlowFilter.Judgement judgement) {

  /** A flow nobody judged. */
  public NatFlow(
      InetAddress sourceAddress, int sourcePort, InetAddress destinationAddress, int port) {
    this(sourceAddress, sourcePort, destinationAddress, port, FlowFilter.Judgement.UNDECIDED);
  }

  /** The app's socket address. */
  public InetSocketAddress source() {
    return new InetSocketAddress(sourceAddress, sourcePort);
  }

  /** The (fake) address the app connected to. */
  public InetSocketAddress destination() {
    return new InetSocketAddress(destinationAddress, destinationPort);
  }
}
