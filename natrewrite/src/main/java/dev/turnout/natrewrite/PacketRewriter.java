package dev.turnout.natrewrite;

import java.net.Inet4Address;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Rewrites IPv4/TCP packets read from the TUN in place; no I/O.
 *
 * <ul>
 *   <li>Forward: a packet to the captured (fake) range, e.g. {@code 198.18.0.1:40001 ->
 *       198.18.3.7:443}, becomes {@code session -> tunAddress:relayPort}, e.g. {@code
 *       198.19.0.9:5012 -> 198.18.0.1:7890}. A SYN creates the NAT entry; a segment of an unknown
 *       flow is answered with a RST.
 *   <li>Reverse: a packet from {@code tunAddress:relayPort} to a session address becomes {@code
 *       original destination -> original source}.
 * </ul>
 *
 * Only addresses and ports change; the IPv4 and TCP checksums are patched incrementally (RFC 1624).
 * Everything else (IPv6, UDP, ICMP, fragments, malformed packets, traffic outside the ranges) is
 * dropped and counted per {@link DropReason}; nothing thrown from the network's bytes escapes.
 *
 * <p>Not thread-safe: one instance per TUN reader thread (it owns reusable header views and lookup
 * probes). The {@link NatTable} may be shared. {@link #stats()} may be called from any thread.
 */
public final class PacketRewriter {
  private final int tunAddress;
  private final int relayPort;
  private final int capturedFirst;
  private final int capturedLast;
  private final NatTable natTable;
  private final Counters counters = new Counters();

  private final Ipv4Header ip = new Ipv4Header();
  private final TcpHeader tcp = new TcpHeader();
  private final FlowKey flowProbe = new FlowKey();
  private final SessionKey sessionProbe = new SessionKey();

  /**
   * @param tunAddress the TUN's own address, where the relay listener is bound
   * @param relayPort the relay listener's port
   * @param capturedFirst first address of the captured (fake) range, inclusive
   * @param capturedLast last address of the captured range, inclusive; it may contain the NAT pool,
   *     which is matched first
   * @param natTable the NAT table; its pool must not contain {@code tunAddress}
   */
  public PacketRewriter(
      Inet4Address tunAddress,
      int relayPort,
      int capturedFirst,
      int capturedLast,
      NatTable natTable) {
    if (relayPort < 1 || relayPort > 65535) {
      throw new IllegalArgumentException("bad relay port " + relayPort);
    }
    if (Integer.compareUnsigned(capturedFirst, capturedLast) > 0) {
      throw new IllegalArgumentException("empty captured range");
    }
    this.tunAddress = Ipv4Range.toInt(tunAddress);
    if (natTable.inPool(this.tunAddress)) {
      throw new IllegalArgumentException("NAT pool contains the TUN address " + tunAddress);
    }
    this.relayPort = relayPort;
    this.capturedFirst = capturedFirst;
    this.capturedLast = capturedLast;
    this.natTable = natTable;
  }

  /**
   * Rewrites the packet between {@code packet.position()} and {@code packet.limit()} in place. The
   * buffer must be big-endian. The position is unchanged; the limit is set to the end of the IP
   * packet for FORWARD (dropping trailing bytes) and to the end of the generated reply for REPLY.
   */
  public Verdict rewrite(ByteBuffer packet) {
    if (packet.order() != ByteOrder.BIG_ENDIAN) {
      throw new IllegalArgumentException("packet buffer must be big-endian");
    }
    counters.packetsIn.increment();
    int base = packet.position();
    int length = packet.limit() - base;
    if (length < 1) {
      return counters.drop(DropReason.MALFORMED, "empty packet");
    }
    ip.wrap(packet, base);
    int version = ip.version();
    if (version == 6) {
      return counters.drop(DropReason.IPV6, "IPv6 is not served yet");
    }
    if (version != 4) {
      return counters.drop(DropReason.NOT_IP, "IP version neither 4 nor 6");
    }
    if (length < Ipv4Header.MIN_LENGTH) {
      return counters.drop(DropReason.MALFORMED, "shorter than an IPv4 header");
    }
    int ipHeaderLength = ip.headerLength();
    int totalLength = ip.totalLength();
    if (ipHeaderLength < Ipv4Header.MIN_LENGTH
        || totalLength < ipHeaderLength
        || totalLength > length) {
      return counters.drop(DropReason.MALFORMED, "bad IPv4 header or total length");
    }
    if (ip.isFragment()) {
      return counters.drop(DropReason.FRAGMENT, "IPv4 fragment");
    }
    switch (ip.protocol()) {
      case Ipv4Header.PROTOCOL_TCP:
        break;
      case Ipv4Header.PROTOCOL_UDP:
        return counters.drop(DropReason.UDP, "UDP is not served yet");
      case Ipv4Header.PROTOCOL_ICMP:
        return counters.drop(DropReason.ICMP, "ICMP is not served");
      default:
        return counters.drop(DropReason.OTHER_PROTOCOL, "protocol is neither TCP, UDP nor ICMP");
    }
    int tcpLength = totalLength - ipHeaderLength;
    if (tcpLength < TcpHeader.MIN_LENGTH) {
      return counters.drop(DropReason.MALFORMED, "shorter than a TCP header");
    }
    tcp.wrap(packet, base + ipHeaderLength);
    int tcpHeaderLength = tcp.headerLength();
    if (tcpHeaderLength < TcpHeader.MIN_LENGTH || tcpHeaderLength > tcpLength) {
      return counters.drop(DropReason.MALFORMED, "bad TCP data offset");
    }
    packet.limit(base + totalLength);

    int destination = ip.destination();
    if (natTable.inPool(destination)) {
      return reverse(destination);
    }
    if (Integer.compareUnsigned(destination - capturedFirst, capturedLast - capturedFirst) <= 0) {
      return forward(packet, base, tcpLength - tcpHeaderLength);
    }
    return counters.drop(DropReason.OUTSIDE_RANGE, "destination outside the captured range");
  }

  /** A snapshot of this rewriter's counters and its NAT table's. */
  public NatStats stats() {
    NatStats.Builder builder = new NatStats.Builder();
    counters.addTo(builder);
    natTable.addTo(builder);
    return builder.build();
  }

  NatTable natTable() {
    return natTable;
  }

  Counters counters() {
    return counters;
  }

  private Verdict forward(ByteBuffer packet, int base, int payloadLength) {
    int source = ip.source();
    int destination = ip.destination();
    int sourcePort = tcp.sourcePort();
    int destinationPort = tcp.destinationPort();
    int flags = tcp.flags();
    flowProbe.set(Ipv4Header.PROTOCOL_TCP, source, sourcePort, destination, destinationPort);
    NatEntry entry = natTable.lookup(flowProbe);
    if ((flags & (TcpHeader.SYN | TcpHeader.ACK | TcpHeader.RST)) == TcpHeader.SYN) {
      // A retransmitted SYN keeps its unclaimed entry; a SYN over a claimed or closing entry is a
      // new connection from a reused port and gets a fresh session address.
      if (entry == null || entry.state() != NatEntry.UNCLAIMED) {
        entry = natTable.create(flowProbe);
        if (entry == null) {
          return counters.drop(DropReason.POOL_EXHAUSTED, "NAT pool exhausted");
        }
      }
    } else if (entry == null || entry.state() == NatEntry.DEAD) {
      if ((flags & TcpHeader.RST) != 0) {
        return counters.drop(DropReason.NO_ENTRY, "RST for a flow without NAT entry");
      }
      return reset(
          packet, base, source, destination, sourcePort, destinationPort, flags, payloadLength);
    }
    ip.rewriteAddresses(entry.sessionAddress, tunAddress);
    tcp.rewrite(
        source, destination, entry.sessionAddress, entry.sessionPort, tunAddress, relayPort);
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  private Verdict reverse(int destination) {
    int source = ip.source();
    if (source != tunAddress || tcp.sourcePort() != relayPort) {
      return counters.drop(DropReason.NOT_FROM_RELAY, "packet to the NAT pool not from the relay");
    }
    NatEntry entry = natTable.lookupSession(sessionProbe.set(destination, tcp.destinationPort()));
    if (entry == null || entry.state() == NatEntry.DEAD) {
      return counters.drop(DropReason.NO_ENTRY, "relay packet to an unknown session address");
    }
    FlowKey flow = entry.flow;
    ip.rewriteAddresses(flow.destinationAddress, flow.sourceAddress);
    tcp.rewrite(
        source,
        destination,
        flow.destinationAddress,
        flow.destinationPort,
        flow.sourceAddress,
        flow.sourcePort);
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  /** Replaces the segment with a RST generated per RFC 793 ("Reset Generation"). */
  private Verdict reset(
      ByteBuffer packet,
      int base,
      int source,
      int destination,
      int sourcePort,
      int destinationPort,
      int flags,
      int payloadLength) {
    int sequence;
    int acknowledgment;
    int replyFlags;
    if ((flags & TcpHeader.ACK) != 0) {
      sequence = tcp.acknowledgment();
      acknowledgment = 0;
      replyFlags = TcpHeader.RST;
    } else {
      sequence = 0;
      int length = payloadLength;
      length += (flags & TcpHeader.SYN) != 0 ? 1 : 0;
      length += (flags & TcpHeader.FIN) != 0 ? 1 : 0;
      acknowledgment = tcp.sequence() + length;
      replyFlags = TcpHeader.RST | TcpHeader.ACK;
    }
    int total = Ipv4Header.MIN_LENGTH + TcpHeader.MIN_LENGTH;
    ip.writeFresh(total, Ipv4Header.PROTOCOL_TCP, destination, source);
    tcp.wrap(packet, base + Ipv4Header.MIN_LENGTH)
        .writeFresh(
            destination, source, destinationPort, sourcePort, sequence, acknowledgment, replyFlags);
    packet.limit(base + total);
    counters.replied.increment();
    return Verdict.REPLY;
  }
}
