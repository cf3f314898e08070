package dev.turnout.natrewrite;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.Ipv6;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;
import java.util.function.IntPredicate;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rewrites IPv4 and IPv6 packets read from the TUN in place; no I/O. IPv6 is served when the
 * builder was given {@link Builder#ipv6} (and the NAT table an IPv6 pool): the same NAT, the same
 * judgement and the same lifetimes, with the IPv6 details in {@link Ipv6Rewrite}; the examples
 * below are IPv4.
 *
 * <ul>
 *   <li>Forward (TCP and UDP): a packet to the captured range, e.g. {@code 198.18.0.1:40001 ->
 *       198.18.3.7:443}, becomes {@code session -> tunAddress:relayPort}, e.g. {@code
 *       198.19.0.9:5012 -> 198.18.0.1:7890}. A TCP SYN creates the NAT entry and a segment of an
 *       unknown flow is answered with a RST; a UDP datagram creates the entry of its 5-tuple if
 *       there is none. The captured range is the fake range, or every address in capture-all mode
 *       (multicast and broadcast excepted), and the sender may be any host (gateway mode): the NAT
 *       key holds both endpoints.
 *   <li>DNS hijack (optional, per protocol): a packet to <em>any</em> address on port 53 goes to
 *       {@code tunAddress:dnsPort} instead, through the same NAT, so the DNS server sees a session
 *       address and its answers come back from the address the app queried.
 *   <li>Reverse: a packet from {@code tunAddress:relayPort} (or {@code :dnsPort} for a hijacked
 *       flow) to a session address becomes {@code original destination -> original source}.
 *   <li>ICMP echo: a request to the echo range (by default the captured fake range) is answered
 *       here, by swapping the addresses and turning it into an echo reply. A fake IP stands for a
 *       name that Turnout reaches on the app's behalf, so "is it up" can only honestly mean "is
 *       Turnout up"; forwarding pings to the real host would need a raw socket per flow and would
 *       still say nothing about the proxy path. In capture-all mode real addresses are not answered
 *       (that would claim any host is up), unless the launcher widens the echo range.
 *   <li>Early verdict: a {@link FlowFilter} may reject or drop a new flow before it costs a NAT
 *       entry or a socket.
 *   <li>Kernel forwarding: a new IPv4 TCP flow the filter judges {@link FlowFilter.Action#FORWARD}
 *       becomes {@code session -> real destination} instead, same port, e.g. {@code 198.19.0.9:5012
 *       -> 203.0.113.10:443}, for the kernel to forward (and masquerade) past the relay; its
 *       replies, routed back into the TUN to the session address, become {@code original
 *       destination -> original source}. The NAT table follows such a flow by its SYN-ACK, FINs and
 *       RSTs, which the fast path rewrites and tells as events ({@link #pollKernel}) or leaves to
 *       the TUN. An ICMP error about one of its segments becomes an error about the app's own
 *       segment.
 *   <li>Who may start flows: optionally only sources the builder's {@link Builder#localSources}
 *       (and {@link Builder#localSources6}) accepts (this host, when {@code allow-lan} is off); a
 *       new flow from any other host is dropped and counted ({@link DropReason#NOT_LOCAL_SOURCE}),
 *       hijacked DNS included.
 * </ul>
 *
 * Only addresses, ports and the ICMP type change; the IPv4, TCP, UDP and ICMP checksums are patched
 * incrementally (RFC 1624), a UDP checksum of 0 stays 0. Everything else (IPv6 when it is off,
 * other ICMP, fragments, malformed packets, traffic outside the ranges) is dropped and counted per
 * {@link DropReason}; nothing thrown from the network's bytes escapes.
 *
 * <p>Not thread-safe: one instance per TUN reader thread (it owns reusable header views and lookup
 * probes). The {@link NatTable} may be shared. {@link #stats()} may be called from any thread.
 *
 * <p>Over 400 lines because the forward and reverse paths of three protocols share one set of views
 * and probes; splitting them would spread the per-packet state across classes.
 *
 * <p>Longer than our usual file: every per-packet decision (direction, NAT lookup, hijack, ICMP,
 * early verdict, RST) sits in one straight path so the hot loop has no indirection; the byte views
 * and checksums are in their own classes.
 */
public final class PacketRewriter {
  private static final Logger log = LoggerFactory.getLogger(PacketRewriter.class);
  private static final int DNS_PORT = 53;
  private static final int ICMP_QUOTE = 8;

  private final int tunAddress;
  final int relayPort;
  private final int capturedFirst;
  private final int capturedLast;
  final boolean captureAll;
  final int dnsPort;
  final boolean hijackUdp;
  final boolean hijackTcp;
  private final Ipv4Range echoRange;
  private final FlowFilter filter;
  private final IntPredicate localSource; // null: any host may start flows
  private final Predicate<InetAddress> localSource6; // null: any host may start IPv6 flows
  final NatTable natTable;
  final Counters counters = new Counters();
  private final Ipv6Rewrite ipv6; // null: IPv6 is off

  // Views and probes shared with the IPv6 path; one packet at a time.
  private final Ipv4Header ip = new Ipv4Header();
  final TcpHeader tcp = new TcpHeader();
  final UdpHeader udp = new UdpHeader();
  final IcmpHeader icmp = new IcmpHeader();
  final FlowKey flowProbe = new FlowKey();
  final SessionKey sessionProbe = new SessionKey();
  private final FlowOffload.Segments kernelSegments = this::rewrittenInKernel;
  private final byte[] quote = new byte[60 + ICMP_QUOTE];
  boolean partialChecksum; // of the packet being rewritten

  /**
   * A rewriter for the fake range only, without DNS hijack or flow filter.
   *
   * @param tunAddress the TUN's own address, where the relay listener is bound
   * @param relayPort the relay listener's port (TCP and UDP)
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
    this(builder(tunAddress, relayPort, natTable).captured(capturedFirst, capturedLast));
  }

  private PacketRewriter(Builder b) {
    if (b.relayPort < 1 || b.relayPort > 65535) {
      throw new IllegalArgumentException("bad relay port " + b.relayPort);
    }
    if (!b.captureAll && b.capturedFirst == null) {
      throw new IllegalArgumentException("no captured range: call captured() or captureAll()");
    }
    this.tunAddress = Ipv4.toInt(b.tunAddress);
    if (b.natTable.inPool(this.tunAddress)) {
      throw new IllegalArgumentException("NAT pool contains the TUN address " + b.tunAddress);
    }
    this.relayPort = b.relayPort;
    this.captureAll = b.captureAll;
    this.capturedFirst = b.captureAll ? 0 : b.capturedFirst;
    this.capturedLast = b.captureAll ? -1 : b.capturedLast;
    this.dnsPort = b.dnsPort;
    this.hijackUdp = b.hijackUdp;
    this.hijackTcp = b.hijackTcp;
    this.echoRange =
        b.echoRange != null
            ? b.echoRange
            : b.captureAll ? null : new Ipv4Range(capturedFirst, capturedLast);
    this.filter = b.filter;
    this.localSource = b.localSource;
    this.localSource6 = b.localSource6;
    this.natTable = b.natTable;
    if (b.tunAddress6 != null && !natTable.hasIpv6()) {
      throw new IllegalArgumentException("IPv6 needs a NAT table with an IPv6 pool");
    }
    this.ipv6 =
        b.tunAddress6 == null
            ? null
            : new Ipv6Rewrite(
                this,
                b.tunAddress6,
                b.captureAll ? null : b.captured6,
                b.echoRange6 != null ? b.echoRange6 : b.captureAll ? null : b.captured6);
  }

  /**
   * Starts a rewriter description; {@link Builder#captured} or {@link Builder#captureAll} is due.
   */
  public static Builder builder(Inet4Address tunAddress, int relayPort, NatTable natTable) {
    return new Builder(tunAddress, relayPort, natTable);
  }

  /**
   * Rewrites the packet between {@code packet.position()} and {@code packet.limit()} in place. The
   * buffer must be big-endian. The position is unchanged; the limit is set to the end of the IP
   * packet for FORWARD (dropping trailing bytes) and to the end of the generated reply for REPLY. A
   * reply may extend past the original packet (ICMP unreachable quotes it), up to 96 bytes from the
   * position for IPv4 and 1280 for IPv6 (less is quoted when the buffer's capacity is smaller); if
   * not even the headers fit, the packet is dropped instead.
   */
  public Verdict rewrite(ByteBuffer packet) {
    return rewrite(packet, false);
  }

  /**
   * As {@link #rewrite(ByteBuffer)}; with {@code partialChecksum} the TCP or UDP checksum field
   * holds only the pseudo-header sum, to be completed by the kernel (a TUN with offloads), and a
   * FORWARD packet keeps it that way. A REPLY always has complete checksums.
   */
  public Verdict rewrite(ByteBuffer packet, boolean partialChecksum) {
    this.partialChecksum = partialChecksum;
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
      return ipv6 == null
          ? counters.drop(DropReason.IPV6, "IPv6 is off")
          : ipv6.rewrite(packet, base, length);
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
    int payloadLength = totalLength - ipHeaderLength;
    int l4 = base + ipHeaderLength;
    int protocol = ip.protocol();
    switch (protocol) {
      case Ipv4Header.PROTOCOL_TCP, Ipv4Header.PROTOCOL_UDP -> {
        if (!wrapTransport(protocol, packet, l4, payloadLength)) {
          return Verdict.DROP;
        }
      }
      case Ipv4Header.PROTOCOL_ICMP -> {
        packet.limit(base + totalLength);
        return icmp(payloadLength, l4);
      }
      default -> {
        return counters.drop(
            DropReason.OTHER_PROTOCOL, "protocol is neither TCP, UDP nor ICMP: " + protocol);
      }
    }
    packet.limit(base + totalLength);
    // TCP and UDP keep their ports in the same place; either view reads them.
    int sourcePort = udp.sourcePort();
    int destinationPort = udp.destinationPort();

    int destination = ip.destination();
    if (natTable.inPool(destination)) {
      return reverse(packet, base, protocol, destination, sourcePort, destinationPort);
    }
    if (isMulticastOrBroadcast(destination)) {
      return counters.drop(DropReason.OUTSIDE_RANGE, "multicast or broadcast destination");
    }
    boolean hijack =
        destinationPort == DNS_PORT
            && (protocol == Ipv4Header.PROTOCOL_UDP ? hijackUdp : hijackTcp);
    if (!hijack && !captured(destination)) {
      return counters.drop(DropReason.OUTSIDE_RANGE, "destination outside the captured range");
    }
    flowProbe.set(protocol, ip.source(), sourcePort, destination, destinationPort);
    return protocol == Ipv4Header.PROTOCOL_TCP
        ? forwardTcp(packet, base, payloadLength - tcp.headerLength(), hijack, false)
        : forwardUdp(packet, base, hijack, false);
  }

  /**
   * Points the TCP or UDP view (and, for TCP, the UDP view too: the ports are where a UDP header
   * has them) at {@code l4} and checks the header fits the {@code length} bytes there; false after
   * counting a drop.
   */
  boolean wrapTransport(int protocol, ByteBuffer packet, int l4, int length) {
    udp.wrap(packet, l4);
    if (protocol == Ipv4Header.PROTOCOL_TCP) {
      if (length < TcpHeader.MIN_LENGTH) {
        counters.drop(DropReason.MALFORMED, "shorter than a TCP header");
        return false;
      }
      tcp.wrap(packet, l4);
      int tcpHeaderLength = tcp.headerLength();
      if (tcpHeaderLength < TcpHeader.MIN_LENGTH || tcpHeaderLength > length) {
        counters.drop(DropReason.MALFORMED, "bad TCP data offset");
        return false;
      }
      return true;
    }
    if (length < UdpHeader.LENGTH) {
      counters.drop(DropReason.MALFORMED, "shorter than a UDP header");
      return false;
    }
    int udpLength = udp.length();
    if (udpLength < UdpHeader.LENGTH || udpLength > length) {
      counters.drop(DropReason.MALFORMED, "bad UDP length");
      return false;
    }
    return true;
  }

  /**
   * Takes note of the forwarded flows' SYN-ACKs, FINs and RSTs that the kernel's fast path rewrote
   * itself since the last call (each such segment that has reached its receiver by now), as if they
   * had crossed the TUN; returns how many. The TUN thread calls it before each packet it reads, so
   * that a flow's end is noted before a new flow on its port starts.
   */
  public int pollKernel() {
    return natTable.pollForwarded(kernelSegments);
  }

  private void rewrittenInKernel(long source, long destination, int flags, boolean reply) {
    int sourceAddress = (int) (source >>> 16);
    int sourcePort = (int) source & 0xffff;
    int destinationAddress = (int) (destination >>> 16);
    int destinationPort = (int) destination & 0xffff;
    if (!reply) {
      NatEntry entry =
          natTable.lookup(
              flowProbe.set(
                  Ipv4Header.PROTOCOL_TCP,
                  sourceAddress,
                  sourcePort,
                  destinationAddress,
                  destinationPort));
      if (entry != null && entry.forwardTo != 0) {
        noteFromApp(entry, flags);
      }
      return;
    }
    NatEntry entry =
        forwardedEntry(
            Ipv4Header.PROTOCOL_TCP,
            destinationAddress,
            destinationPort,
            sourceAddress,
            sourcePort);
    if (entry != null) {
      noteFromDestination(entry, flags);
    }
  }

  /**
   * The live entry of the forwarded flow whose session is {@code session:sessionPort} and whose
   * real destination is {@code real:realPort}, or null: a segment or an ICMP error from anywhere
   * else to that session is no flow's.
   */
  private NatEntry forwardedEntry(
      int protocol, int session, int sessionPort, int real, int realPort) {
    NatEntry entry = natTable.lookupSession(sessionProbe.set(protocol, session, sessionPort));
    return entry != null
            && entry.state() != NatEntry.DEAD
            && entry.forwardTo == real
            && entry.targetPort == realPort
        ? entry
        : null;
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

  private boolean captured(int address) {
    return captureAll
        || Integer.compareUnsigned(address - capturedFirst, capturedLast - capturedFirst) <= 0;
  }

  /** 224.0.0.0/4 (multicast), 240.0.0.0/4 (reserved) and 255.255.255.255 (broadcast). */
  private static boolean isMulticastOrBroadcast(int address) {
    return (address >>> 28) >= 0xe;
  }

  /**
   * The NAT side of a forward TCP segment of {@link #flowProbe}, for either family ({@code v6} says
   * which family's replies and rewrite apply).
   */
  Verdict forwardTcp(ByteBuffer packet, int base, int payloadLength, boolean hijack, boolean v6) {
    FlowKey flow = flowProbe;
    int flags = tcp.flags();
    NatEntry entry = natTable.lookup(flow);
    if ((flags & (TcpHeader.SYN | TcpHeader.ACK | TcpHeader.RST)) == TcpHeader.SYN) {
      // A retransmitted SYN keeps its unclaimed (or idle) entry; a SYN over a claimed or closing
      // entry is a new connection from a reused port and gets a fresh session address.
      if (entry == null
          || (entry.state() != NatEntry.UNCLAIMED && entry.state() != NatEntry.IDLE)) {
        if (!mayStartFlows(flow)) {
          return notLocal();
        }
        FlowFilter.Judgement judgement = FlowFilter.Judgement.UNDECIDED;
        if (!hijack) {
          judgement = judge(flow);
          if (judgement.action() == FlowFilter.Action.REJECT) {
            return v6
                ? ipv6.reset(flags, payloadLength)
                : reset(packet, base, flags, payloadLength);
          }
          if (judgement.action() == FlowFilter.Action.DROP) {
            return Verdict.DROP;
          }
        }
        if (!hijack && natTable.tooManyPending()) {
          return counters.drop(
              DropReason.TOO_MANY_PENDING,
              "too many connections the relay has not accepted yet (a SYN flood?)");
        }
        entry = null;
        if (judgement.action() == FlowFilter.Action.FORWARD && !v6) {
          entry = natTable.createForwarded(flow, judgement.forwardTo(), judgement);
        }
        if (entry == null) { // not forwarded, or too many forwarded flows: the relay takes it
          entry =
              hijack
                  ? natTable.createIdle(flow, dnsPort)
                  : natTable.create(flow, relayPort, judgement);
        }
        if (entry == null) {
          return counters.drop(DropReason.POOL_EXHAUSTED, "NAT pool exhausted");
        }
        if (hijack) {
          counters.hijacked.increment();
        }
      }
    } else if (entry == null || entry.state() == NatEntry.DEAD || entry.resetting) {
      if ((flags & TcpHeader.RST) != 0) {
        return counters.drop(DropReason.NO_ENTRY, "RST for a flow without NAT entry");
      }
      return v6 ? ipv6.reset(flags, payloadLength) : reset(packet, base, flags, payloadLength);
    }
    if (entry.state() == NatEntry.IDLE) {
      natTable.touch(entry);
    }
    if (v6) {
      return ipv6.forward(entry, true);
    }
    // A flow the kernel forwards goes to its real destination; its FIN or RST is noted, so that
    // the entry ends with the flow (when the fast path left them to the TUN).
    int target = tunAddress;
    if (entry.forwardTo != 0) {
      target = entry.forwardTo;
      if (payloadLength > 0) {
        natTable.crossedTun(entry, true, payloadLength);
      }
      noteFromApp(entry, flags);
    }
    ip.rewriteAddresses(entry.sessionAddress, target);
    tcp.rewrite(
        partialChecksum,
        flow.sourceAddress,
        flow.destinationAddress,
        entry.sessionAddress,
        entry.sessionPort,
        target,
        entry.targetPort);
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  /** The NAT side of a forward UDP datagram of {@link #flowProbe}, as {@link #forwardTcp}. */
  Verdict forwardUdp(ByteBuffer packet, int base, boolean hijack, boolean v6) {
    FlowKey flow = flowProbe;
    NatEntry entry = natTable.lookup(flow);
    if (entry == null || entry.state() != NatEntry.IDLE) {
      if (!mayStartFlows(flow)) {
        return notLocal();
      }
      FlowFilter.Judgement judgement = FlowFilter.Judgement.UNDECIDED;
      if (!hijack) {
        judgement = judge(flow);
        if (judgement.action() == FlowFilter.Action.REJECT) {
          return v6 ? ipv6.portUnreachable() : portUnreachable(packet, base);
        }
        if (judgement.action() == FlowFilter.Action.DROP) {
          return Verdict.DROP;
        }
      }
      entry = natTable.createIdle(flow, hijack ? dnsPort : relayPort, judgement);
      if (entry == null) {
        return counters.drop(DropReason.POOL_EXHAUSTED, "NAT pool exhausted");
      }
      if (hijack) {
        counters.hijacked.increment();
      }
    } else {
      natTable.touch(entry);
    }
    if (v6) {
      return ipv6.forward(entry, false);
    }
    ip.rewriteAddresses(entry.sessionAddress, tunAddress);
    udp.rewrite(
        partialChecksum,
        flow.sourceAddress,
        flow.destinationAddress,
        entry.sessionAddress,
        entry.sessionPort,
        tunAddress,
        entry.targetPort);
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  private boolean mayStartFlows(FlowKey flow) {
    if (flow.ipv6) {
      // Allocates an address, once per new IPv6 flow only; the TUN's own address needs none.
      return localSource6 == null
          || ipv6.isTunAddress(flow.sourceHigh, flow.sourceLow)
          || localSource6.test(Ipv6.address(flow.sourceHigh, flow.sourceLow));
    }
    return localSource == null
        || flow.sourceAddress == tunAddress
        || localSource.test(flow.sourceAddress);
  }

  private Verdict notLocal() {
    FlowKey flow = flowProbe;
    return counters.drop(
        DropReason.NOT_LOCAL_SOURCE,
        "a new flow from another host ("
            + (flow.ipv6
                ? IpLiterals.format(Ipv6.address(flow.sourceHigh, flow.sourceLow))
                : Ipv4.format(flow.sourceAddress))
            + ") while allow-lan is off");
  }

  private FlowFilter.Judgement judge(FlowKey flow) {
    if (filter == null) {
      return FlowFilter.Judgement.UNDECIDED;
    }
    FlowFilter.Judgement judgement;
    try {
      judgement =
          filter.judge(
              flow.protocol,
              flow.sourceInetAddress(),
              flow.sourcePort,
              flow.destinationInetAddress(),
              flow.destinationPort);
    } catch (RuntimeException e) {
      log.error("Flow filter failed on {}; accepting the flow", flow, e);
      return FlowFilter.Judgement.UNDECIDED;
    }
    if (judgement == null || judgement.action() == null) {
      return FlowFilter.Judgement.UNDECIDED;
    }
    if (judgement.action() == FlowFilter.Action.REJECT
        || judgement.action() == FlowFilter.Action.DROP) {
      counters.rejected.increment();
    }
    return judgement;
  }

  private Verdict reverse(
      ByteBuffer packet,
      int base,
      int protocol,
      int destination,
      int sourcePort,
      int destinationPort) {
    int source = ip.source();
    NatEntry entry;
    if (source != tunAddress) {
      entry = forwardedEntry(protocol, destination, destinationPort, source, sourcePort);
      if (entry == null) {
        return counters.drop(
            DropReason.NOT_FROM_RELAY,
            "packet to the NAT pool from neither the relay nor a forwarded flow's destination");
      }
      if (entry.resetting) {
        return resetTowardApp(packet, base, entry);
      }
      int payload = packet.limit() - base - ip.headerLength() - tcp.headerLength();
      if (payload > 0) {
        natTable.crossedTun(entry, false, payload);
      }
      noteFromDestination(entry, tcp.flags());
    } else {
      entry = reverseEntry(sessionProbe.set(protocol, destination, destinationPort), sourcePort);
      if (entry == null) {
        return Verdict.DROP;
      }
    }
    FlowKey flow = entry.flow;
    ip.rewriteAddresses(flow.destinationAddress, flow.sourceAddress);
    if (protocol == Ipv4Header.PROTOCOL_TCP) {
      tcp.rewrite(
          partialChecksum,
          source,
          destination,
          flow.destinationAddress,
          flow.destinationPort,
          flow.sourceAddress,
          flow.sourcePort);
    } else {
      udp.rewrite(
          partialChecksum,
          source,
          destination,
          flow.destinationAddress,
          flow.destinationPort,
          flow.sourceAddress,
          flow.sourcePort);
    }
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  /** Notes a forwarded flow's FIN or RST from the app: it ends the flow. */
  private void noteFromApp(NatEntry entry, int flags) {
    if ((flags & (TcpHeader.FIN | TcpHeader.RST)) != 0) {
      natTable.closing(entry, NatEntry.FIN_OUT, (flags & TcpHeader.RST) != 0);
    }
  }

  /**
   * Notes what a segment from a forwarded flow's destination says of the flow: its SYN-ACK
   * establishes it, a FIN or RST ends it.
   */
  private void noteFromDestination(NatEntry entry, int flags) {
    if ((flags & (TcpHeader.FIN | TcpHeader.RST)) != 0) {
      natTable.closing(entry, NatEntry.FIN_IN, (flags & TcpHeader.RST) != 0);
    } else if ((flags & (TcpHeader.SYN | TcpHeader.ACK)) == (TcpHeader.SYN | TcpHeader.ACK)) {
      natTable.established(entry);
    }
  }

  /**
   * The live entry of the session {@code probe} names, for a packet from the listener's {@code
   * sourcePort}, touched if idle; null after counting a drop.
   */
  NatEntry reverseEntry(SessionKey probe, int sourcePort) {
    NatEntry entry = natTable.lookupSession(probe);
    if (entry == null || entry.state() == NatEntry.DEAD) {
      counters.drop(DropReason.NO_ENTRY, "relay packet to an unknown session address");
      return null;
    }
    if (sourcePort != entry.targetPort) {
      counters.drop(
          DropReason.NOT_FROM_RELAY, "packet to a session address not from its listener port");
      return null;
    }
    if (entry.state() == NatEntry.IDLE) {
      natTable.touch(entry);
    }
    return entry;
  }

  private Verdict icmp(int payloadLength, int l4) {
    if (payloadLength < IcmpHeader.MIN_LENGTH) {
      return counters.drop(DropReason.MALFORMED, "shorter than an ICMP header");
    }
    icmp.wrap(ip.buffer(), l4);
    int destination = ip.destination();
    int type = icmp.type();
    if ((type == IcmpHeader.DESTINATION_UNREACHABLE || type == IcmpHeader.TIME_EXCEEDED)
        && natTable.inPool(destination)) {
      return forwardedFlowError(payloadLength, l4, destination);
    }
    if (type != IcmpHeader.ECHO_REQUEST
        || icmp.code() != 0
        || echoRange == null
        || !echoRange.contains(destination)
        || natTable.inPool(destination)) {
      return counters.drop(DropReason.ICMP, "ICMP other than an echo request to the echo range");
    }
    if (partialChecksum) {
      icmp.completeChecksum(payloadLength); // the reply goes back as a complete packet
    }
    ip.rewriteAddresses(destination, ip.source());
    icmp.toEchoReply();
    counters.echoReplies.increment();
    counters.replied.increment();
    return Verdict.REPLY;
  }

  /**
   * An ICMP error (unreachable, fragmentation needed, time exceeded) about a segment of a flow the
   * kernel forwards, which conntrack has turned back to the session address: it becomes an error
   * about the app's own segment, from the fake destination (so that the TUN's reverse-path check
   * passes), and the app learns at once that the destination is unreachable or the path MTU
   * smaller, as it would without Turnout. The quoted IPv4 header and TCP ports are rewritten (the
   * quoted TCP checksum, if any, is left: nobody checks a quote's); the ICMP checksum is computed
   * anew. Errors about anything else are dropped and counted.
   */
  private Verdict forwardedFlowError(int payloadLength, int l4, int destination) {
    ByteBuffer b = ip.buffer();
    int inner = l4 + IcmpHeader.MIN_LENGTH;
    int quoted = payloadLength - IcmpHeader.MIN_LENGTH;
    int innerHeader = (b.get(inner) & 0x0f) * 4;
    if (quoted < Ipv4Header.MIN_LENGTH + 8
        || (b.get(inner) & 0xf0) != 0x40
        || innerHeader < Ipv4Header.MIN_LENGTH
        || quoted < innerHeader + 4
        || b.get(inner + 9) != Ipv4Header.PROTOCOL_TCP
        || b.getInt(inner + 12) != destination) {
      return counters.drop(DropReason.ICMP, "ICMP error to the NAT pool not about a TCP segment");
    }
    int real = b.getInt(inner + 16);
    int sessionPort = b.getShort(inner + innerHeader) & 0xffff;
    int port = b.getShort(inner + innerHeader + 2) & 0xffff;
    NatEntry entry = forwardedEntry(Ipv4Header.PROTOCOL_TCP, destination, sessionPort, real, port);
    if (entry == null) {
      return counters.drop(DropReason.NO_ENTRY, "ICMP error about no forwarded flow");
    }
    FlowKey flow = entry.flow;
    int checksum = b.getShort(inner + 10) & 0xffff;
    checksum = Checksums.update32(checksum, destination, flow.sourceAddress);
    checksum = Checksums.update32(checksum, real, flow.destinationAddress);
    b.putShort(inner + 10, (short) checksum);
    b.putInt(inner + 12, flow.sourceAddress);
    b.putInt(inner + 16, flow.destinationAddress);
    b.putShort(inner + innerHeader, (short) flow.sourcePort);
    icmp.completeChecksum(payloadLength);
    ip.rewriteAddresses(flow.destinationAddress, flow.sourceAddress);
    counters.forwarded.increment();
    return Verdict.FORWARD;
  }

  /**
   * Replaces a UDP datagram with ICMP port unreachable from its destination, quoting its IPv4
   * header and first 8 bytes (RFC 792).
   */
  private Verdict portUnreachable(ByteBuffer packet, int base) {
    int ipHeaderLength = ip.headerLength();
    int quoted = Math.min(ip.totalLength(), ipHeaderLength + ICMP_QUOTE);
    int total = Ipv4Header.MIN_LENGTH + IcmpHeader.MIN_LENGTH + quoted;
    if (packet.capacity() - base < total) {
      return counters.drop(DropReason.MALFORMED, "no room for an ICMP unreachable");
    }
    int source = ip.source();
    int destination = ip.destination();
    packet.get(base, quote, 0, quoted);
    packet.limit(base + total);
    packet.put(base + Ipv4Header.MIN_LENGTH + IcmpHeader.MIN_LENGTH, quote, 0, quoted);
    ip.writeFresh(total, Ipv4Header.PROTOCOL_ICMP, destination, source);
    icmp.wrap(packet, base + Ipv4Header.MIN_LENGTH)
        .writeUnreachable(IcmpHeader.PORT_UNREACHABLE, quoted);
    counters.replied.increment();
    return Verdict.REPLY;
  }

  /**
   * Replaces a segment from a forwarded flow's destination, after the controller closed the flow,
   * with a RST toward the app at the segment's sequence number: the one the app expects next when
   * the segment is the server's next data or its retransmission, so the app takes it at once.
   */
  private Verdict resetTowardApp(ByteBuffer packet, int base, NatEntry entry) {
    FlowKey flow = entry.flow;
    int sequence = tcp.sequence();
    int total = Ipv4Header.MIN_LENGTH + TcpHeader.MIN_LENGTH;
    ip.writeFresh(total, Ipv4Header.PROTOCOL_TCP, flow.destinationAddress, flow.sourceAddress);
    tcp.wrap(packet, base + Ipv4Header.MIN_LENGTH)
        .writeFresh(
            flow.destinationAddress,
            flow.sourceAddress,
            flow.destinationPort,
            flow.sourcePort,
            sequence,
            0,
            TcpHeader.RST);
    packet.limit(base + total);
    counters.replied.increment();
    return Verdict.REPLY;
  }

  /** Replaces the segment with a RST generated per RFC 793 ("Reset Generation"). */
  private Verdict reset(ByteBuffer packet, int base, int flags, int payloadLength) {
    int source = flowProbe.sourceAddress;
    int destination = flowProbe.destinationAddress;
    int sourcePort = flowProbe.sourcePort;
    int destinationPort = flowProbe.destinationPort;
    int sequence = tcp.resetSequence(flags);
    int acknowledgment = tcp.resetAcknowledgment(flags, payloadLength);
    int replyFlags = TcpHeader.resetFlags(flags);
    int total = Ipv4Header.MIN_LENGTH + TcpHeader.MIN_LENGTH;
    ip.writeFresh(total, Ipv4Header.PROTOCOL_TCP, destination, source);
    tcp.wrap(packet, base + Ipv4Header.MIN_LENGTH)
        .writeFresh(
            destination, source, destinationPort, sourcePort, sequence, acknowledgment, replyFlags);
    packet.limit(base + total);
    counters.replied.increment();
    return Verdict.REPLY;
  }

  /** What a {@link PacketRewriter} captures and where it sends it. Not thread-safe. */
  public static final class Builder {
    private final Inet4Address tunAddress;
    private final int relayPort;
    private final NatTable natTable;
    private Integer capturedFirst;
    private int capturedLast;
    private boolean captureAll;
    private int dnsPort = DNS_PORT;
    private boolean hijackUdp;
    private boolean hijackTcp;
    private Ipv4Range echoRange;
    private FlowFilter filter;
    private Inet6Address tunAddress6;
    private Cidr captured6;
    private Cidr echoRange6;
    private IntPredicate localSource;
    private Predicate<InetAddress> localSource6;

    private Builder(Inet4Address tunAddress, int relayPort, NatTable natTable) {
      this.tunAddress = Objects.requireNonNull(tunAddress, "tunAddress");
      this.relayPort = relayPort;
      this.natTable = Objects.requireNonNull(natTable, "natTable");
    }

    /** Captures the addresses {@code first..last} (the fake range); may contain the NAT pool. */
    public Builder captured(int first, int last) {
      if (Integer.compareUnsigned(first, last) > 0) {
        throw new IllegalArgumentException("empty captured range");
      }
      this.capturedFirst = first;
      this.capturedLast = last;
      this.captureAll = false;
      return this;
    }

    /**
     * Capture-all mode ({@code auto-route}): every unicast destination that the routes send into
     * the TUN is NAT'ed to the relay, which recovers the real destination from the NAT.
     */
    public Builder captureAll() {
      this.captureAll = true;
      return this;
    }

    /**
     * Sends packets to any address on port 53 to {@code tunAddress:dnsPort} instead of the relay.
     * Clash {@code dns-hijack: [any:53]} is {@code udp = true}; {@code tcp://any:53} adds TCP.
     */
    public Builder dnsHijack(int dnsPort, boolean udp, boolean tcp) {
      if (dnsPort < 1 || dnsPort > 65535) {
        throw new IllegalArgumentException("bad DNS port " + dnsPort);
      }
      this.dnsPort = dnsPort;
      this.hijackUdp = udp;
      this.hijackTcp = tcp;
      return this;
    }

    /**
     * Answers ICMP echo requests to these addresses locally. Default: the captured range, or none
     * in capture-all mode (pass the fake range there).
     */
    public Builder icmpEcho(Ipv4Range range) {
      this.echoRange = range;
      return this;
    }

    /**
     * Serves IPv6 too: the relay (and the DNS listener, for hijack) listen on {@code tunAddress} as
     * well, and {@code captured} is the IPv6 fake range, which holds the table's IPv6 NAT pool (in
     * capture-all mode every unicast IPv6 destination is captured instead). The NAT table must have
     * an IPv6 pool. Default: IPv6 packets are dropped ({@link DropReason#IPV6}).
     */
    public Builder ipv6(Inet6Address tunAddress, Cidr captured) {
      if (captured.isIpv4()) {
        throw new IllegalArgumentException("not an IPv6 range: " + captured);
      }
      this.tunAddress6 = Objects.requireNonNull(tunAddress);
      this.captured6 = captured;
      return this;
    }

    /**
     * Answers ICMPv6 echo requests to this range locally. Default: the IPv6 captured range, or none
     * in capture-all mode (pass the IPv6 fake range there).
     */
    public Builder icmpEcho6(Cidr range) {
      if (range.isIpv4()) {
        throw new IllegalArgumentException("not an IPv6 range: " + range);
      }
      this.echoRange6 = range;
      return this;
    }

    /** Consulted on the first packet of every new, non-hijacked flow. Default: accept all. */
    public Builder flowFilter(FlowFilter filter) {
      this.filter = filter;
      return this;
    }

    /**
     * Lets only sources that {@code local} accepts (IPv4 addresses as ints; the TUN address always)
     * start new flows, for {@code allow-lan: false}; it is asked on the first packet of each flow,
     * on the TUN thread, so it must be quick and must not block. Default: any source (gateway).
     */
    public Builder localSources(IntPredicate local) {
      this.localSource = Objects.requireNonNull(local);
      return this;
    }

    /**
     * {@link #localSources} for IPv6 flows (with {@link #ipv6}): asked with the source address of
     * each new IPv6 flow, the TUN's own excepted. Default: any source.
     */
    public Builder localSources6(Predicate<InetAddress> local) {
      this.localSource6 = Objects.requireNonNull(local);
      return this;
    }

    public PacketRewriter build() {
      return new PacketRewriter(this);
    }
  }
}
