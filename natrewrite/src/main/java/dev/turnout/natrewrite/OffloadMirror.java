package dev.turnout.natrewrite;

/**
 * Mirrors the NAT table's relay-owned TCP entries into a {@link FlowOffload}, and its relayed UDP
 * entries into the offload's {@link FlowOffload#udp() UDP part} and its kernel-forwarded TCP
 * entries into its {@link FlowOffload#forwarded() forwarded part}: both directions of a flow when
 * its entry is created, as the TUN path would rewrite them, and withdrawn when it is freed. The
 * offload is thus only ever a subset of the table. Not mirrored: TCP hijacked to the DNS listener,
 * and UDP to port 53 (the DNS listener's when hijacked; short-lived either way), whose entries live
 * by the packets the TUN sees.
 *
 * <p>Called by the table under its own lock or from its expiry; the offload is thread-safe.
 */
final class OffloadMirror {
  private static final int DNS_PORT = 53;

  private final FlowOffload offload;
  private final FlowOffload udp;
  private final FlowOffload forwarded;
  private final int tunAddress; // where the relay listens for IPv4 flows
  private final long tun6High; // and for IPv6 flows
  private final long tun6Low;

  OffloadMirror(FlowOffload offload, int tunAddress, long tun6High, long tun6Low) {
    this.offload = offload;
    this.udp = offload.udp();
    this.forwarded = offload.forwarded();
    this.tunAddress = tunAddress;
    this.tun6High = tun6High;
    this.tun6Low = tun6Low;
  }

  /** Forward and reverse rewrite of a new entry, if it is one the offload takes. */
  void add(NatEntry entry) {
    FlowOffload offload = offloadOf(entry);
    if (offload == FlowOffload.NONE) {
      return;
    }
    if (entry.forwardTo != 0) {
      offload.add(source(entry), destination(entry), session(entry), target(entry));
      offload.addReply(target(entry), session(entry), destination(entry), source(entry));
    } else if (entry.flow.ipv6) {
      offload.add6(source6(entry), destination6(entry), session6(entry), listener6(entry));
      offload.add6(listener6(entry), session6(entry), destination6(entry), source6(entry));
    } else {
      offload.add(source(entry), destination(entry), session(entry), listener(entry));
      offload.add(listener(entry), session(entry), destination(entry), source(entry));
    }
  }

  /**
   * Withdraws a freed relay-owned TCP entry: its reverse tuple always, its forward tuple only if
   * {@code stillForward} (the flow's tuple may already be mapped to a newer entry of a reused port,
   * which stays).
   */
  void remove(NatEntry entry, boolean stillForward) {
    FlowOffload offload = offloadOf(entry);
    if (offload == FlowOffload.NONE) {
      return;
    }
    if (entry.forwardTo != 0) {
      offload.remove(target(entry), session(entry));
      if (stillForward) {
        offload.remove(source(entry), destination(entry));
      }
    } else if (entry.flow.ipv6) {
      offload.remove6(listener6(entry), session6(entry));
      if (stillForward) {
        offload.remove6(source6(entry), destination6(entry));
      }
    } else {
      offload.remove(listener(entry), session(entry));
      if (stillForward) {
        offload.remove(source(entry), destination(entry));
      }
    }
  }

  /**
   * {@code entry} took over the flow of {@code previous}, which keeps its session until freed: if
   * they are mirrored into different parts, the previous one's forward rewrite leaves its part now
   * (in the same part, the new entry's replaces it). Its reverse rewrite stays with its session.
   */
  void supersede(NatEntry previous, NatEntry entry) {
    FlowOffload part = offloadOf(previous);
    if (part == FlowOffload.NONE || part == offloadOf(entry)) {
      return;
    }
    if (previous.flow.ipv6) {
      part.remove6(source6(previous), destination6(previous));
    } else {
      part.remove(source(previous), destination(previous));
    }
  }

  /**
   * TCP payload bytes the offload rewrote for a forwarded entry's flow in one direction (toward its
   * destination, or toward the app), while the entry's tuples were mapped; may cost a system call.
   */
  long forwardedBytes(NatEntry entry, boolean towardDestination) {
    return towardDestination
        ? forwarded.bytes(source(entry), destination(entry))
        : forwarded.bytes(target(entry), session(entry));
  }

  /** The offload's {@link FlowOffload#pollForwarded}; the TUN thread only. */
  int pollForwarded(FlowOffload.Segments to) {
    return forwarded.pollForwarded(to);
  }

  /** The offload's {@link FlowOffload#bytesTotal} of forwarded flows. */
  long[] forwardedBytesTotal() {
    return forwarded.bytesTotal();
  }

  /**
   * Where {@code entry} is mirrored: relay-owned TCP entries (no idle timeout) to the TCP part,
   * relayed UDP ones to the UDP part, forwarded TCP ones to the forwarded part; {@link
   * FlowOffload#NONE} for the rest.
   */
  private FlowOffload offloadOf(NatEntry entry) {
    if (entry.forwardTo != 0) {
      return forwarded;
    }
    if (entry.idleNanos == 0) {
      return offload;
    }
    boolean relayedUdp =
        entry.flow.protocol == Ipv4Header.PROTOCOL_UDP && entry.flow.destinationPort != DNS_PORT;
    return relayedUdp ? udp : FlowOffload.NONE;
  }

  private static long source(NatEntry entry) {
    return FlowOffload.endpoint(entry.flow.sourceAddress, entry.flow.sourcePort);
  }

  private static long destination(NatEntry entry) {
    return FlowOffload.endpoint(entry.flow.destinationAddress, entry.flow.destinationPort);
  }

  private static long session(NatEntry entry) {
    return FlowOffload.endpoint(entry.sessionAddress, entry.sessionPort);
  }

  /** Where a forwarded flow goes: its real destination. */
  private static long target(NatEntry entry) {
    return FlowOffload.endpoint(entry.forwardTo, entry.targetPort);
  }

  private long listener(NatEntry entry) {
    return FlowOffload.endpoint(tunAddress, entry.targetPort);
  }

  private static FlowOffload.Endpoint6 source6(NatEntry entry) {
    FlowKey flow = entry.flow;
    return new FlowOffload.Endpoint6(flow.sourceHigh, flow.sourceLow, flow.sourcePort);
  }

  private static FlowOffload.Endpoint6 destination6(NatEntry entry) {
    FlowKey flow = entry.flow;
    return new FlowOffload.Endpoint6(
        flow.destinationHigh, flow.destinationLow, flow.destinationPort);
  }

  private static FlowOffload.Endpoint6 session6(NatEntry entry) {
    return new FlowOffload.Endpoint6(entry.sessionHigh, entry.sessionLow, entry.sessionPort);
  }

  private FlowOffload.Endpoint6 listener6(NatEntry entry) {
    return new FlowOffload.Endpoint6(tun6High, tun6Low, entry.targetPort);
  }
}
