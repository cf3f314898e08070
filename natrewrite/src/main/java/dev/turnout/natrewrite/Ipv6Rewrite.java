package dev.turnout.natrewrite;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.Ipv6;
import java.net.Inet6Address;
import java.nio.ByteBuffer;

/**
 * The IPv6 half of a {@link PacketRewriter}: parses an IPv6 packet, rewrites its addresses and
 * answers what the rewriter answers itself, while the NAT side (judgement, entries, lifetimes) is
 * the rewriter's own and the same as for IPv4.
 *
 * <ul>
 *   <li>Extension headers: hop-by-hop and destination options are stepped over (at most 8; they
 *       stay as they are, and the transport checksum does not cover them); a fragment header is a
 *       {@link DropReason#FRAGMENT}, a routing header an {@link DropReason#IPV6_EXTENSION}, since
 *       its final destination, not the header's, would be the pseudo header's.
 *   <li>TCP and UDP: exactly as IPv4, with session addresses from the table's IPv6 pool and the
 *       relay's listener on the TUN's IPv6 address. The transport checksum is patched with the
 *       change of the 128-bit addresses in the pseudo header. A UDP checksum of 0 is invalid over
 *       IPv6 (RFC 8200, 8.1) and dropped as malformed.
 *   <li>ICMPv6 echo requests to the echo range are answered here, as over IPv4.
 *   <li>ICMPv6 packet too big sent towards the remote end of a NAT flow (the kernel could not
 *       forward a relay reply to a LAN host, say) is turned back into what the relay's socket sent,
 *       so that socket learns the path MTU instead of retransmitting into a black hole.
 *   <li>Everything else ICMPv6 is dropped and counted ({@link DropReason#ICMP}). Neighbour
 *       discovery never reaches the TUN: a TUN has no link layer, so the kernel sends it no
 *       neighbour solicitations; its router solicitations and listener reports on the fresh link go
 *       to multicast addresses, which are never captured.
 *   <li>Generated replies (a RST, an ICMPv6 port unreachable quoting up to the minimum MTU) have
 *       complete checksums.
 * </ul>
 *
 * <p>Not thread-safe: it belongs to its rewriter and uses that rewriter's views and probes.
 */
final class Ipv6Rewrite {
  private static final int MAX_EXTENSION_HEADERS = 8;

  /** An ICMPv6 error, quote included, fits the IPv6 minimum MTU (RFC 4443, 2.4 (c)). */
  private static final int MIN_MTU = 1280;

  private static final int ERROR_HEADERS = Ipv6Header.LENGTH + IcmpHeader.MIN_LENGTH;
  private static final int TCP = Ipv4Header.PROTOCOL_TCP;
  private static final int UDP = Ipv4Header.PROTOCOL_UDP;
  private static final int DNS_PORT = 53;

  private final PacketRewriter rewriter;
  private final NatTable natTable;
  private final Counters counters;
  private final long tunHigh;
  private final long tunLow;
  private final Prefix captured; // null: every unicast destination
  private final Prefix echo; // null: no echo replies
  private final Ipv6Header ip = new Ipv6Header();
  private final Ipv6Header inner = new Ipv6Header();
  private final byte[] quote = new byte[MIN_MTU - ERROR_HEADERS];

  // The packet being rewritten.
  private ByteBuffer packet;
  private int base;
  private int l4;
  private int upperLength; // transport header and payload

  Ipv6Rewrite(PacketRewriter rewriter, Inet6Address tunAddress, Cidr captured, Cidr echo) {
    this.rewriter = rewriter;
    this.natTable = rewriter.natTable;
    this.counters = rewriter.counters;
    this.tunHigh = Ipv6.high(tunAddress);
    this.tunLow = Ipv6.low(tunAddress);
    if (natTable.inPool6(tunHigh, tunLow)) {
      throw new IllegalArgumentException("NAT pool contains the TUN address " + tunAddress);
    }
    this.captured = captured == null ? null : Prefix.of(captured);
    this.echo = echo == null ? null : Prefix.of(echo);
  }

  /** As {@link PacketRewriter#rewrite}, for the IPv6 packet of {@code length} bytes at base. */
  Verdict rewrite(ByteBuffer packet, int base, int length) {
    if (length < Ipv6Header.LENGTH) {
      return counters.drop(DropReason.MALFORMED, "shorter than an IPv6 header");
    }
    ip.wrap(packet, base);
    int end = base + Ipv6Header.LENGTH + ip.payloadLength();
    if (end > base + length) {
      return counters.drop(DropReason.MALFORMED, "IPv6 payload length beyond the packet");
    }
    int protocol = ip.nextHeader();
    int at = base + Ipv6Header.LENGTH;
    for (int n = 0; protocol != TCP && protocol != UDP && protocol != Ipv6Header.ICMPV6; n++) {
      switch (protocol) {
        case Ipv6Header.HOP_BY_HOP, Ipv6Header.DESTINATION_OPTIONS -> {
          if (n == MAX_EXTENSION_HEADERS) {
            return counters.drop(DropReason.IPV6_EXTENSION, "too many IPv6 extension headers");
          }
          if (at + 8 > end) {
            return counters.drop(DropReason.MALFORMED, "truncated IPv6 extension header");
          }
          protocol = packet.get(at) & 0xff;
          at += ((packet.get(at + 1) & 0xff) + 1) * 8;
          if (at > end) {
            return counters.drop(DropReason.MALFORMED, "IPv6 extension header beyond the packet");
          }
        }
        case Ipv6Header.FRAGMENT -> {
          return counters.drop(DropReason.FRAGMENT, "IPv6 fragment");
        }
        case Ipv6Header.ROUTING -> {
          return counters.drop(DropReason.IPV6_EXTENSION, "IPv6 routing header");
        }
        default -> {
          return counters.drop(
              DropReason.OTHER_PROTOCOL,
              "IPv6 next header is neither TCP, UDP nor ICMPv6: " + protocol);
        }
      }
    }
    this.packet = packet;
    this.base = base;
    this.l4 = at;
    this.upperLength = end - at;
    if (protocol == Ipv6Header.ICMPV6) {
      packet.limit(end);
      return icmp();
    }
    if (!rewriter.wrapTransport(protocol, packet, at, upperLength)) {
      return Verdict.DROP;
    }
    if (protocol == UDP && !rewriter.partialChecksum && rewriter.udp.checksum() == 0) {
      return counters.drop(DropReason.MALFORMED, "IPv6 UDP datagram without a checksum");
    }
    packet.limit(end);
    int sourcePort = rewriter.udp.sourcePort();
    int destinationPort = rewriter.udp.destinationPort();
    long destinationHigh = ip.destinationHigh();
    long destinationLow = ip.destinationLow();
    if (natTable.inPool6(destinationHigh, destinationLow)) {
      return reverse(protocol, destinationLow, sourcePort, destinationPort);
    }
    if (!isUnicast(destinationHigh, destinationLow)) {
      return counters.drop(
          DropReason.OUTSIDE_RANGE, "multicast, link-local or unspecified IPv6 destination");
    }
    boolean hijack =
        destinationPort == DNS_PORT && (protocol == UDP ? rewriter.hijackUdp : rewriter.hijackTcp);
    if (!hijack && captured != null && !captured.contains(destinationHigh, destinationLow)) {
      return counters.drop(DropReason.OUTSIDE_RANGE, "destination outside the captured range");
    }
    rewriter.flowProbe.set6(
        protocol,
        ip.sourceHigh(),
        ip.sourceLow(),
        sourcePort,
        destinationHigh,
        destinationLow,
        destinationPort);
    return protocol == TCP
        ? rewriter.forwardTcp(packet, base, upperLength - rewriter.tcp.headerLength(), hijack, true)
        : rewriter.forwardUdp(packet, base, hijack, true);
  }

  /** Whether {@code high:low} is the TUN's own IPv6 address. */
  boolean isTunAddress(long high, long low) {
    return high == tunHigh && low == tunLow;
  }

  /** Rewrites a forward packet of {@code entry} to {@code session -> tunAddress:targetPort}. */
  Verdict forward(NatEntry entry, boolean tcp) {
    int delta = ip.rewriteAddresses(entry.sessionHigh, entry.sessionLow, tunHigh, tunLow);
    if (tcp) {
      rewriter.tcp.rewrite(rewriter.partialChecksum, delta, entry.sessionPort, entry.targetPort);
    } else {
      rewriter.udp.rewrite(rewriter.partialChecksum, delta, entry.sessionPort, entry.targetPort);
    }
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  private Verdict reverse(int protocol, long destinationLow, int sourcePort, int destinationPort) {
    if (ip.sourceHigh() != tunHigh || ip.sourceLow() != tunLow) {
      return counters.drop(DropReason.NOT_FROM_RELAY, "packet to the NAT pool not from the relay");
    }
    NatEntry entry =
        rewriter.reverseEntry(
            rewriter.sessionProbe.set6(protocol, natTable.index6(destinationLow), destinationPort),
            sourcePort);
    if (entry == null) {
      return Verdict.DROP;
    }
    FlowKey flow = entry.flow;
    int delta =
        ip.rewriteAddresses(
            flow.destinationHigh, flow.destinationLow, flow.sourceHigh, flow.sourceLow);
    if (protocol == TCP) {
      rewriter.tcp.rewrite(rewriter.partialChecksum, delta, flow.destinationPort, flow.sourcePort);
    } else {
      rewriter.udp.rewrite(rewriter.partialChecksum, delta, flow.destinationPort, flow.sourcePort);
    }
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  private Verdict icmp() {
    if (upperLength < IcmpHeader.MIN_LENGTH) {
      return counters.drop(DropReason.MALFORMED, "shorter than an ICMPv6 header");
    }
    IcmpHeader icmp = rewriter.icmp.wrap(packet, l4);
    long destinationHigh = ip.destinationHigh();
    long destinationLow = ip.destinationLow();
    int type = icmp.type();
    if (type == IcmpHeader.V6_ECHO_REQUEST
        && icmp.code() == 0
        && echo != null
        && echo.contains(destinationHigh, destinationLow)
        && !natTable.inPool6(destinationHigh, destinationLow)) {
      return echoReply(icmp, destinationHigh, destinationLow);
    }
    if (type == IcmpHeader.V6_PACKET_TOO_BIG) {
      return packetTooBig(icmp);
    }
    return counters.drop(
        DropReason.ICMP,
        "ICMPv6 type " + type + ": only echo requests to the echo range are answered");
  }

  private Verdict echoReply(IcmpHeader icmp, long destinationHigh, long destinationLow) {
    long sourceHigh = ip.sourceHigh();
    long sourceLow = ip.sourceLow();
    if (rewriter.partialChecksum) {
      icmp.completeChecksum(upperLength, pseudoHeaderSum(Ipv6Header.ICMPV6, upperLength));
    }
    // Swapping the addresses leaves the pseudo-header sum as it was.
    ip.rewriteAddresses(destinationHigh, destinationLow, sourceHigh, sourceLow);
    icmp.toEchoReply(IcmpHeader.V6_ECHO_REPLY);
    counters.echoReplies.increment();
    counters.replied.increment();
    return Verdict.REPLY;
  }

  /**
   * A packet too big towards a flow's remote end quotes a reply as the NAT rewrote it ({@code
   * remote -> app}); the relay's socket sent it as {@code tunAddress:port -> session}. The quote
   * gets those addresses back and the message goes to the TUN address, where the kernel hands it to
   * that socket. The quoted transport checksum is left alone: nobody checks a quote's.
   */
  private Verdict packetTooBig(IcmpHeader icmp) {
    int at = l4 + IcmpHeader.MIN_LENGTH;
    if (upperLength < IcmpHeader.MIN_LENGTH + Ipv6Header.LENGTH + UdpHeader.LENGTH
        || (packet.get(at) & 0xf0) != 0x60) {
      return counters.drop(DropReason.ICMP, "ICMPv6 packet-too-big without a usable quote");
    }
    inner.wrap(packet, at);
    int protocol = inner.nextHeader();
    int ports = at + Ipv6Header.LENGTH;
    if (protocol != TCP && protocol != UDP) {
      return counters.drop(DropReason.ICMP, "ICMPv6 packet-too-big quoting neither TCP nor UDP");
    }
    FlowKey flow =
        rewriter.flowProbe.set6(
            protocol,
            inner.destinationHigh(),
            inner.destinationLow(),
            packet.getShort(ports + 2) & 0xffff,
            inner.sourceHigh(),
            inner.sourceLow(),
            packet.getShort(ports) & 0xffff);
    NatEntry entry = natTable.lookup(flow);
    if (entry == null || entry.state() == NatEntry.DEAD) {
      return counters.drop(DropReason.ICMP, "ICMPv6 packet-too-big for no NAT flow");
    }
    inner.rewriteAddresses(tunHigh, tunLow, entry.sessionHigh, entry.sessionLow);
    packet.putShort(ports, (short) entry.targetPort);
    packet.putShort(ports + 2, (short) entry.sessionPort);
    ip.rewriteAddresses(ip.sourceHigh(), ip.sourceLow(), tunHigh, tunLow);
    icmp.completeChecksum(upperLength, pseudoHeaderSum(Ipv6Header.ICMPV6, upperLength));
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  /** Replaces the segment with a RST from its destination (RFC 793, "Reset Generation"). */
  Verdict reset(int flags, int payloadLength) {
    FlowKey flow = rewriter.flowProbe;
    TcpHeader tcp = rewriter.tcp;
    int sequence = tcp.resetSequence(flags);
    int acknowledgment = tcp.resetAcknowledgment(flags, payloadLength);
    ip.writeFresh(
        TcpHeader.MIN_LENGTH,
        TCP,
        flow.destinationHigh,
        flow.destinationLow,
        flow.sourceHigh,
        flow.sourceLow);
    tcp.wrap(packet, base + Ipv6Header.LENGTH)
        .writeFresh(
            pseudoHeaderSum(TCP, TcpHeader.MIN_LENGTH),
            flow.destinationPort,
            flow.sourcePort,
            sequence,
            acknowledgment,
            TcpHeader.resetFlags(flags));
    packet.limit(base + Ipv6Header.LENGTH + TcpHeader.MIN_LENGTH);
    counters.replied.increment();
    return Verdict.REPLY;
  }

  /**
   * Replaces the datagram with ICMPv6 port unreachable from its destination, quoting as much of it
   * as fits the minimum MTU and the buffer (RFC 4443, 3.1).
   */
  Verdict portUnreachable() {
    FlowKey flow = rewriter.flowProbe;
    int quoted =
        Math.min(
            packet.limit() - base,
            Math.min(quote.length, packet.capacity() - base - ERROR_HEADERS));
    if (quoted < Ipv6Header.LENGTH + UdpHeader.LENGTH) {
      return counters.drop(DropReason.MALFORMED, "no room for an ICMPv6 unreachable");
    }
    packet.get(base, quote, 0, quoted);
    packet.limit(base + ERROR_HEADERS + quoted);
    packet.put(base + ERROR_HEADERS, quote, 0, quoted);
    int length = IcmpHeader.MIN_LENGTH + quoted;
    ip.writeFresh(
        length,
        Ipv6Header.ICMPV6,
        flow.destinationHigh,
        flow.destinationLow,
        flow.sourceHigh,
        flow.sourceLow);
    rewriter
        .icmp
        .wrap(packet, base + Ipv6Header.LENGTH)
        .writeError(
            IcmpHeader.V6_DESTINATION_UNREACHABLE,
            IcmpHeader.V6_PORT_UNREACHABLE,
            quoted,
            pseudoHeaderSum(Ipv6Header.ICMPV6, length));
    counters.replied.increment();
    return Verdict.REPLY;
  }

  /** The pseudo-header sum of the packet's addresses as they are now in {@link #ip}. */
  private int pseudoHeaderSum(int nextHeader, int length) {
    return Checksums.pseudoHeaderSum6(
        ip.sourceHigh(),
        ip.sourceLow(),
        ip.destinationHigh(),
        ip.destinationLow(),
        nextHeader,
        length);
  }

  /** Not multicast (ff00::/8), link-local (fe80::/10), unspecified or loopback. */
  private static boolean isUnicast(long high, long low) {
    return (high >>> 56) != 0xff
        && (high >>> 54) != (0xfe80L >>> 6)
        && !(high == 0 && (low == 0 || low == 1));
  }

  /** An IPv6 prefix as masks over the two halves of an address. */
  record Prefix(long high, long low, long highMask, long lowMask) {
    static Prefix of(Cidr cidr) {
      long highMask = Ipv6.highMask(cidr.prefixLength());
      long lowMask = Ipv6.lowMask(cidr.prefixLength());
      return new Prefix(
          Ipv6.high(cidr.network()) & highMask,
          Ipv6.low(cidr.network()) & lowMask,
          highMask,
          lowMask);
    }

    boolean contains(long addressHigh, long addressLow) {
      return (addressHigh & highMask) == high && (addressLow & lowMask) == low;
    }
  }
}
