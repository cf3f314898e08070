package dev.turnout.natrewrite;

/** Why a packet read from the TUN was not written back. Each reason has its own counter. */
public enum DropReason {
  /** Truncated, bad IHL or data offset, total length beyond the buffer. */
  MALFORMED(true),
  /** IPv6 while it is off ({@code ipv6: false}, or the host cannot give the TUN an address). */
  IPV6(false),
  /**
   * An IPv6 routing header, or more hop-by-hop and destination-options headers than the rewriter
   * walks (8); the kernel's own sockets send neither.
   */
  IPV6_EXTENSION(true),
  /** Neither IPv4 nor IPv6. */
  NOT_IP(true),
  /** Any IPv4 or IPv6 fragment; the kernel never fragments towards a 65535-MTU TUN. */
  FRAGMENT(true),
  /**
   * ICMP other than an echo request to the echo range, ICMPv6 other than that or a packet-too-big
   * for a NAT flow (see {@link PacketRewriter}); the kernel's router solicitations and multicast
   * listener reports on the fresh TUN link land here.
   */
  ICMP(false),
  OTHER_PROTOCOL(false),
  /** Destination neither in the captured (fake) range nor in the NAT pool. */
  OUTSIDE_RANGE(false),
  /** Addressed to the NAT pool but not sent by the relay listener. */
  NOT_FROM_RELAY(true),
  /** No NAT entry, and no RST is due (the segment is itself a RST, or it is a reply). */
  NO_ENTRY(false),
  /** A new flow found every session address of the NAT pool in use. */
  POOL_EXHAUSTED(true),
  /**
   * A new TCP flow while the table already holds its cap of connections the relay has not accepted
   * yet (a SYN flood): the SYN is dropped, as a full listen queue would.
   */
  TOO_MANY_PENDING(true),
  /**
   * A new flow from a host other than this one while only this host may start flows ({@code
   * allow-lan} off): forwarded traffic of other hosts (or containers) is not relayed.
   */
  NOT_LOCAL_SOURCE(true),
  /** The rewritten packet could not be written back to the TUN. */
  WRITE_FAILED(true);

  final boolean warn;

  DropReason(boolean warn) {
    this.warn = warn;
  }
}
