package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static dev.turnout.natrewrite.Packets6.ip6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.Ipv6;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** IPv6 through the rewriter: the same NAT as IPv4, with IPv6 packets, replies and ICMPv6. */
class Ipv6RewriterTest {
  static final long[] TUN = ip6("fdfe:dcba:9876::1");
  static final long[] APP = TUN; // the kernel picks the TUN's address as the app's source
  static final long[] FAKE = ip6("fdfe:dcba:9876::abcd");
  static final long[] SESSION = ip6("fdfe:dcba:9876:0:8000::");
  static final long[] REAL = ip6("2001:db8::80");
  static final Cidr RANGE = Cidr.parseMasking("fdfe:dcba:9876::/64");
  static final int RELAY_PORT = 7890;
  static final int DNS_PORT = 1053;
  static final int SYN = TcpHeader.SYN;
  static final int ACK = TcpHeader.ACK;

  final ManualTimeSource ticker = new ManualTimeSource();
  final NatTable table = table(ticker);

  static NatTable table(ManualTimeSource ticker) {
    return NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
        .ipv6Pool(address(SESSION), 65536, address(TUN))
        .timeSource(ticker)
        .build();
  }

  static java.net.Inet6Address address(long[] a) {
    return Ipv6.address(a[0], a[1]);
  }

  static PacketRewriter.Builder fakeOnly(NatTable table) {
    return PacketRewriter.builder(Ipv4.address(ip("198.18.0.1")), RELAY_PORT, table)
        .captured(ip("198.18.0.0"), ip("198.19.255.255"))
        .ipv6(address(TUN), RANGE);
  }

  final PacketRewriter rewriter = fakeOnly(table).build();

  static void assertValid(ByteBuffer packet) {
    assertThat(Packets6.checksumValid(packet, 0))
        .as(
            "stored %04x, full %04x",
            Packets6.storedChecksum(packet, 0), Packets6.transportChecksum(packet, 0))
        .isTrue();
  }

  @Test
  void aSynGoesToTheRelayFromTheFirstV6SessionAddressAndTheReplyComesBack() {
    ByteBuffer syn = Packets6.tcp(APP, 40001, FAKE, 443, SYN, 77, 0, "hi".getBytes(), 0);

    assertThat(rewriter.rewrite(syn)).isEqualTo(Verdict.FORWARD);

    assertThat(Packets6.src(syn, 0)).containsExactly(SESSION);
    assertThat(Packets6.srcPort(syn, 0)).isEqualTo(1024);
    assertThat(Packets6.dst(syn, 0)).containsExactly(TUN);
    assertThat(Packets6.dstPort(syn, 0)).isEqualTo(RELAY_PORT);
    assertValid(syn);
    assertThat(syn.limit()).isEqualTo(40 + 24 + 2);

    ByteBuffer synAck =
        Packets6.tcp(TUN, RELAY_PORT, SESSION, 1024, SYN | ACK, 5, 78, new byte[0], 0);
    assertThat(rewriter.rewrite(synAck)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets6.src(synAck, 0)).containsExactly(FAKE);
    assertThat(Packets6.srcPort(synAck, 0)).isEqualTo(443);
    assertThat(Packets6.dst(synAck, 0)).containsExactly(APP);
    assertThat(Packets6.dstPort(synAck, 0)).isEqualTo(40001);
    assertValid(synAck);

    NatFlow flow = table.claim(new InetSocketAddress(address(SESSION), 1024)).orElseThrow();
    assertThat(flow.source()).isEqualTo(new InetSocketAddress(address(APP), 40001));
    assertThat(flow.destination()).isEqualTo(new InetSocketAddress(address(FAKE), 443));
  }

  @Test
  void v4AndV6FlowsWithTheSamePortsNeverShareAnEntry() {
    ByteBuffer v4 = Packets.tcp(ip("198.18.0.1"), 40001, ip("198.18.3.7"), 443, SYN);
    ByteBuffer v6 = Packets6.tcp(APP, 40001, FAKE, 443, SYN);
    assertThat(rewriter.rewrite(v4)).isEqualTo(Verdict.FORWARD);
    assertThat(rewriter.rewrite(v6)).isEqualTo(Verdict.FORWARD);
    assertThat(table.activeEntries()).isEqualTo(2);
    // Both took the first pair of their own pool: 198.19.0.1:1024 and [SESSION]:1024.
    assertThat(Packets.srcPort(v4, 0)).isEqualTo(1024);
    assertThat(Packets6.srcPort(v6, 0)).isEqualTo(1024);
    assertThat(table.claim(new InetSocketAddress(address(SESSION), 1024))).isPresent();
    assertThat(table.claim(new InetSocketAddress(Ipv4.address(ip("198.19.0.1")), 1024)))
        .isPresent();
  }

  @Test
  void udpGoesBothWaysAndTheRelayFindsTheV6Flow() {
    ByteBuffer datagram = Packets6.udp(APP, 5353, FAKE, 3478, new byte[] {1, 2, 3}, 0);
    assertThat(rewriter.rewrite(datagram)).isEqualTo(Verdict.FORWARD);
    assertValid(datagram);
    InetSocketAddress peer =
        new InetSocketAddress(address(Packets6.src(datagram, 0)), Packets6.srcPort(datagram, 0));
    NatFlow flow = table.udpFlow(peer).orElseThrow();
    assertThat(flow.destinationAddress()).isEqualTo(address(FAKE));

    ByteBuffer reply =
        Packets6.udp(TUN, RELAY_PORT, Packets6.src(datagram, 0), peer.getPort(), new byte[7], 0);
    assertThat(rewriter.rewrite(reply)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets6.src(reply, 0)).containsExactly(FAKE);
    assertThat(Packets6.srcPort(reply, 0)).isEqualTo(3478);
    assertThat(Packets6.dstPort(reply, 0)).isEqualTo(5353);
    assertValid(reply);
  }

  @Test
  void destinationOptionsAreSteppedOverAndKept() {
    ByteBuffer syn = Packets6.tcp(APP, 40001, FAKE, 443, SYN, 1, 0, new byte[10], 3);
    assertThat(rewriter.rewrite(syn)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets6.l4(syn, 0)).isEqualTo(40 + 24);
    assertThat(Packets6.dstPort(syn, 0)).isEqualTo(RELAY_PORT);
    assertValid(syn);
  }

  @Test
  void routingAndFragmentHeadersAndLongChainsAreCountedDrops() {
    ByteBuffer routing = Packets6.tcp(APP, 40001, FAKE, 443, SYN, 1, 0, new byte[0], 1);
    routing.put(6, (byte) Ipv6Header.ROUTING);
    assertDropped(routing, DropReason.IPV6_EXTENSION);
    ByteBuffer fragment = Packets6.udp(APP, 1, FAKE, 2, new byte[8], 1);
    fragment.put(6, (byte) Ipv6Header.FRAGMENT);
    assertDropped(fragment, DropReason.FRAGMENT);
    assertDropped(
        Packets6.tcp(APP, 40001, FAKE, 443, SYN, 1, 0, new byte[0], 9), DropReason.IPV6_EXTENSION);
    ByteBuffer esp = Packets6.udp(APP, 1, FAKE, 2, new byte[8], 0);
    esp.put(6, (byte) 50);
    assertDropped(esp, DropReason.OTHER_PROTOCOL);
    assertThat(table.activeEntries()).isZero();
  }

  @Test
  void truncatedOrInconsistentPacketsAreMalformed() {
    ByteBuffer longer = Packets6.tcp(APP, 40001, FAKE, 443, SYN);
    longer.putShort(4, (short) 500);
    assertDropped(longer, DropReason.MALFORMED);
    assertDropped(Packets6.tcp(APP, 40001, FAKE, 443, SYN).limit(39), DropReason.MALFORMED);
    ByteBuffer noChecksum = Packets6.udp(APP, 1, FAKE, 2, new byte[8], 0);
    noChecksum.putShort(46, (short) 0);
    assertDropped(noChecksum, DropReason.MALFORMED);
    ByteBuffer chainPastEnd = Packets6.tcp(APP, 40001, FAKE, 443, SYN, 1, 0, new byte[0], 1);
    chainPastEnd.put(41, (byte) 200);
    assertDropped(chainPastEnd, DropReason.MALFORMED);
  }

  @Test
  void aSegmentWithoutEntryIsAnsweredWithAValidV6Reset() {
    ByteBuffer stray = Packets6.tcp(APP, 40001, FAKE, 443, ACK, 100, 5000, new byte[20], 2);
    assertThat(rewriter.rewrite(stray)).isEqualTo(Verdict.REPLY);
    assertThat(stray.limit()).isEqualTo(60);
    assertThat(Packets6.src(stray, 0)).containsExactly(FAKE);
    assertThat(Packets6.dst(stray, 0)).containsExactly(APP);
    assertThat(Packets6.srcPort(stray, 0)).isEqualTo(443);
    assertThat(Packets6.dstPort(stray, 0)).isEqualTo(40001);
    assertThat(Packets6.tcpFlags(stray, 0)).isEqualTo(TcpHeader.RST);
    assertThat(stray.getInt(44)).as("sequence = the stray's acknowledgment").isEqualTo(5000);
    assertValid(stray);
  }

  @Test
  void aRejectedSynGetsAResetAndARejectedDatagramAPortUnreachable() {
    List<InetAddress> judged = new ArrayList<>();
    PacketRewriter r =
        fakeOnly(table)
            .flowFilter(
                (protocol, source, sourcePort, destination, destinationPort) -> {
                  judged.add(destination);
                  return FlowFilter.Judgement.REJECT;
                })
            .build();
    ByteBuffer syn = Packets6.tcp(APP, 40001, FAKE, 443, SYN, 41, 0, new byte[0], 0);
    assertThat(r.rewrite(syn)).isEqualTo(Verdict.REPLY);
    assertThat(Packets6.tcpFlags(syn, 0)).isEqualTo(TcpHeader.RST | TcpHeader.ACK);
    assertThat(syn.getInt(48)).as("acknowledges the SYN").isEqualTo(42);
    assertValid(syn);

    byte[] payload = new byte[2000];
    ByteBuffer datagram = Packets6.udp(APP, 5353, FAKE, 3478, payload, 0);
    int original = datagram.limit();
    assertThat(r.rewrite(datagram)).isEqualTo(Verdict.REPLY);
    assertThat(Packets6.protocol(datagram, 0)).isEqualTo(Packets6.ICMPV6);
    assertThat(datagram.get(40) & 0xff).isEqualTo(1); // destination unreachable
    assertThat(datagram.get(41) & 0xff).isEqualTo(4); // port unreachable
    assertThat(datagram.limit()).as("fits the minimum MTU").isEqualTo(1280);
    assertThat(original).isGreaterThan(1280);
    assertThat(Packets6.src(datagram, 0)).containsExactly(FAKE);
    assertThat(Packets6.dst(datagram, 0)).containsExactly(APP);
    assertThat(datagram.getLong(48 + 24)).as("quotes the datagram").isEqualTo(FAKE[0]);
    assertValid(datagram);
    assertThat(judged).allMatch(a -> a.equals(address(FAKE)));
    assertThat(table.activeEntries()).isZero();
    assertThat(r.stats().rejectedFlows()).isEqualTo(2);
  }

  @Test
  void echoToAFakeAddressIsAnsweredAndOtherIcmpv6IsDropped() {
    ByteBuffer ping = Packets6.echoRequest(APP, FAKE, 7, 1, "ping".getBytes());
    assertThat(rewriter.rewrite(ping)).isEqualTo(Verdict.REPLY);
    assertThat(ping.get(40) & 0xff).isEqualTo(129);
    assertThat(Packets6.src(ping, 0)).containsExactly(FAKE);
    assertThat(Packets6.dst(ping, 0)).containsExactly(APP);
    assertValid(ping);

    assertDropped(Packets6.echoRequest(APP, SESSION, 7, 1, new byte[4]), DropReason.ICMP);
    assertDropped(Packets6.echoRequest(APP, REAL, 7, 1, new byte[4]), DropReason.ICMP);
    // A router solicitation and a neighbour solicitation, as a kernel would send on a link.
    long[] allRouters = ip6("ff02::2");
    assertDropped(Packets6.icmp(APP, allRouters, 133, 0, 0, new byte[0]), DropReason.ICMP);
    assertDropped(
        Packets6.icmp(APP, ip6("ff02::1:ff00:abcd"), 135, 0, 0, new byte[16]), DropReason.ICMP);
    assertThat(rewriter.stats().icmpEchoReplies()).isEqualTo(1);
  }

  @Test
  void multicastAndLinkLocalAreNeverCapturedEvenInCaptureAllMode() {
    PacketRewriter all =
        PacketRewriter.builder(Ipv4.address(ip("198.18.0.1")), RELAY_PORT, table)
            .captureAll()
            .ipv6(address(TUN), RANGE)
            .build();
    for (String destination : List.of("ff02::fb", "fe80::1", "::", "::1")) {
      ByteBuffer p = Packets6.udp(APP, 5353, ip6(destination), 5353, new byte[4], 0);
      assertThat(all.rewrite(p)).as(destination).isEqualTo(Verdict.DROP);
    }
    assertThat(all.stats().dropped(DropReason.OUTSIDE_RANGE)).isEqualTo(4);
    ByteBuffer literal = Packets6.tcp(APP, 40001, REAL, 80, SYN);
    assertThat(all.rewrite(literal)).isEqualTo(Verdict.FORWARD);
    assertThat(
            table.claim(new InetSocketAddress(address(SESSION), 1024)).orElseThrow().destination())
        .isEqualTo(new InetSocketAddress(address(REAL), 80));
    // Outside the fake range, only capture-all mode takes a literal address.
    assertDropped(Packets6.tcp(APP, 40002, REAL, 80, SYN), DropReason.OUTSIDE_RANGE);
  }

  @Test
  void dnsToAnyV6AddressIsHijackedToTheListenerOnTheTunAddress() {
    PacketRewriter r = fakeOnly(table).dnsHijack(DNS_PORT, true, true).build();
    long[] resolver = ip6("2001:db8::53");
    ByteBuffer query = Packets6.udp(APP, 40000, resolver, 53, new byte[12], 0);
    assertThat(r.rewrite(query)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets6.dst(query, 0)).containsExactly(TUN);
    assertThat(Packets6.dstPort(query, 0)).isEqualTo(DNS_PORT);
    assertValid(query);

    ByteBuffer answer =
        Packets6.udp(
            TUN, DNS_PORT, Packets6.src(query, 0), Packets6.srcPort(query, 0), new byte[40], 0);
    assertThat(r.rewrite(answer)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets6.src(answer, 0)).containsExactly(resolver);
    assertThat(Packets6.srcPort(answer, 0)).isEqualTo(53);
    assertValid(answer);
    assertThat(r.stats().hijackedFlows()).isEqualTo(1);
  }

  @Test
  void aPacketTooBigForAFlowsRemoteEndReachesTheRelaySocketAsItSentThePacket() {
    rewriter.rewrite(Packets6.tcp(APP, 40001, FAKE, 443, SYN));
    // The reply as the NAT delivered it (remote -> app), which the kernel could not forward.
    ByteBuffer reply = Packets6.tcp(FAKE, 443, APP, 40001, ACK, 9, 9, new byte[1400], 0);
    byte[] quoted = new byte[1232];
    reply.get(0, quoted);
    long[] router = ip6("2001:db8:1::1");
    ByteBuffer tooBig = Packets6.icmp(router, FAKE, 2, 0, 1280, quoted);

    assertThat(rewriter.rewrite(tooBig)).isEqualTo(Verdict.FORWARD);

    assertThat(Packets6.src(tooBig, 0)).containsExactly(router);
    assertThat(Packets6.dst(tooBig, 0)).containsExactly(TUN);
    assertThat(tooBig.getInt(44)).as("the MTU").isEqualTo(1280);
    ByteBuffer inner = tooBig.slice(48, tooBig.limit() - 48);
    assertThat(Packets6.src(inner, 0)).containsExactly(TUN);
    assertThat(Packets6.dst(inner, 0)).containsExactly(SESSION);
    assertThat(inner.getShort(40) & 0xffff).isEqualTo(RELAY_PORT);
    assertThat(inner.getShort(42) & 0xffff).isEqualTo(1024);
    assertValid(tooBig);

    ByteBuffer unknown = Packets6.icmp(router, FAKE, 2, 0, 1280, quoted);
    unknown.putShort(48 + 42, (short) 40999); // another app port: no such flow
    assertDropped(unknown, DropReason.ICMP);
  }

  @Test
  void withoutIpv6EveryV6PacketIsCountedAsSuch() {
    PacketRewriter v4only =
        PacketRewriter.builder(Ipv4.address(ip("198.18.0.1")), RELAY_PORT, table)
            .captured(ip("198.18.0.0"), ip("198.19.255.255"))
            .build();
    assertThat(v4only.rewrite(Packets6.tcp(APP, 40001, FAKE, 443, SYN))).isEqualTo(Verdict.DROP);
    assertThat(v4only.stats().dropped(DropReason.IPV6)).isEqualTo(1);
  }

  @Test
  void aSessionAddressWorksOnlyWithItsListenerPortAndFromTheTunAddress() {
    rewriter.rewrite(Packets6.tcp(APP, 40001, FAKE, 443, SYN));
    assertDropped(Packets6.tcp(REAL, RELAY_PORT, SESSION, 1024, ACK), DropReason.NOT_FROM_RELAY);
    assertDropped(Packets6.tcp(TUN, 9999, SESSION, 1024, ACK), DropReason.NOT_FROM_RELAY);
    assertDropped(Packets6.tcp(TUN, RELAY_PORT, SESSION, 1025, ACK), DropReason.NO_ENTRY);
  }

  void assertDropped(ByteBuffer packet, DropReason reason) {
    long before = rewriter.stats().dropped(reason);
    assertThat(rewriter.rewrite(packet)).as("%s", reason).isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(reason)).as("%s", reason).isEqualTo(before + 1);
  }
}
