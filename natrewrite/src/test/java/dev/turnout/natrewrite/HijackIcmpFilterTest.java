package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** DNS hijack, local ICMP echo, the early flow verdict, and capture-all mode. */
class HijackIcmpFilterTest {
  static final int TUN = ip("198.18.0.1");
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");
  static final int RESOLVER = ip("203.0.113.1");
  static final int RELAY_PORT = 7890;
  static final int DNS_PORT = 1053;

  final ManualTimeSource ticker = new ManualTimeSource();
  final NatTable table =
      NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
          .timeSource(ticker)
          .build();

  PacketRewriter.Builder fakeOnly() {
    return PacketRewriter.builder(Ipv4.address(TUN), RELAY_PORT, table)
        .captured(ip("198.18.0.0"), ip("198.19.255.255"));
  }

  static int port(ByteBuffer b, int offset) {
    return b.getShort(Packets.ihl(b, 0) + offset) & 0xffff;
  }

  @Test
  void udpDnsToAnyAddressGoesToTheDnsListenerAndAnswersComeFromThatAddress() {
    PacketRewriter r = fakeOnly().dnsHijack(DNS_PORT, true, false).build();
    ByteBuffer q = Packets.udp(APP, 40000, RESOLVER, 53, new byte[] {1, 2}, false);

    assertThat(r.rewrite(q)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.dstAddress(q, 0)).isEqualTo(TUN);
    assertThat(port(q, 2)).isEqualTo(DNS_PORT);
    assertThat(table.inPool(Packets.srcAddress(q, 0))).isTrue();
    UdpRewriterTest.assertChecksumsValid(q);

    ByteBuffer fromRelayPort =
        Packets.udp(TUN, RELAY_PORT, Packets.srcAddress(q, 0), port(q, 0), new byte[3], false);
    assertThat(r.rewrite(fromRelayPort)).isEqualTo(Verdict.DROP);

    ByteBuffer answer =
        Packets.udp(TUN, DNS_PORT, Packets.srcAddress(q, 0), port(q, 0), new byte[9], false);
    assertThat(r.rewrite(answer)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.srcAddress(answer, 0)).isEqualTo(RESOLVER);
    assertThat(port(answer, 0)).isEqualTo(53);
    assertThat(Packets.dstAddress(answer, 0)).isEqualTo(APP);
    assertThat(port(answer, 2)).isEqualTo(40000);
    UdpRewriterTest.assertChecksumsValid(answer);
    assertThat(r.stats().hijackedFlows()).isEqualTo(1);
  }

  @Test
  void tcpDnsIsHijackedOnlyWhenAsked() {
    PacketRewriter udpOnly = fakeOnly().dnsHijack(DNS_PORT, true, false).build();
    assertThat(udpOnly.rewrite(Packets.tcp(APP, 40000, RESOLVER, 53, TcpHeader.SYN)))
        .isEqualTo(Verdict.DROP);
    assertThat(udpOnly.stats().dropped(DropReason.OUTSIDE_RANGE)).isEqualTo(1);

    PacketRewriter both = fakeOnly().dnsHijack(DNS_PORT, true, true).build();
    ByteBuffer syn = Packets.tcp(APP, 40001, RESOLVER, 53, TcpHeader.SYN);
    assertThat(both.rewrite(syn)).isEqualTo(Verdict.FORWARD);
    assertThat(port(syn, 2)).isEqualTo(DNS_PORT);
    assertThat(Packets.storedTcpChecksum(syn, 0)).isEqualTo(Packets.tcpChecksum(syn, 0));
    // the DNS server never claims; the entry lives on its packets, and the data flows
    ByteBuffer ack = Packets.tcp(APP, 40001, RESOLVER, 53, TcpHeader.ACK);
    ticker.advance(Duration.ofSeconds(9));
    assertThat(both.rewrite(ack)).isEqualTo(Verdict.FORWARD);
    ByteBuffer synAck =
        Packets.tcp(
            TUN, DNS_PORT, Packets.srcAddress(syn, 0), port(syn, 0), TcpHeader.SYN | TcpHeader.ACK);
    assertThat(both.rewrite(synAck)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.srcAddress(synAck, 0)).isEqualTo(RESOLVER);
    assertThat(port(synAck, 0)).isEqualTo(53);
    assertThat(Packets.storedTcpChecksum(synAck, 0)).isEqualTo(Packets.tcpChecksum(synAck, 0));
    assertThat(
            table.claim(
                new java.net.InetSocketAddress(
                    Ipv4.address(Packets.srcAddress(syn, 0)), port(syn, 0))))
        .as("the relay cannot claim a hijacked flow")
        .isEmpty();
  }

  @Test
  void dnsToAFakeAddressWithoutHijackGoesToTheRelay() {
    PacketRewriter r = fakeOnly().build();
    ByteBuffer q = Packets.udp(APP, 40000, FAKE, 53, new byte[] {1}, false);
    assertThat(r.rewrite(q)).isEqualTo(Verdict.FORWARD);
    assertThat(port(q, 2)).isEqualTo(RELAY_PORT);
  }

  @Test
  void echoRequestsToTheFakeRangeAreAnsweredLocally() {
    PacketRewriter r = fakeOnly().build();
    ByteBuffer ping = Packets.echoRequest(APP, FAKE, 0x1234, 7, "abcdefgh".getBytes());

    assertThat(r.rewrite(ping)).isEqualTo(Verdict.REPLY);

    assertThat(Packets.srcAddress(ping, 0)).isEqualTo(FAKE);
    assertThat(Packets.dstAddress(ping, 0)).isEqualTo(APP);
    assertThat(ping.get(20)).isEqualTo((byte) 0);
    assertThat(ping.getShort(24)).isEqualTo((short) 0x1234);
    assertThat(ping.getShort(26)).isEqualTo((short) 7);
    assertThat(Packets.storedIpChecksum(ping, 0)).isEqualTo(Packets.ipChecksum(ping, 0));
    assertThat(ping.getShort(22) & 0xffff).isEqualTo(Packets.icmpChecksum(ping, 0));
    assertThat(r.stats().icmpEchoReplies()).isEqualTo(1);
    assertThat(table.activeEntries()).isZero();
  }

  @Test
  void otherIcmpAndEchoOutsideTheRangeAreDropped() {
    PacketRewriter r = fakeOnly().build();
    assertThat(r.rewrite(Packets.echoRequest(APP, RESOLVER, 1, 1, new byte[0])))
        .isEqualTo(Verdict.DROP);
    ByteBuffer reply = Packets.echoRequest(APP, FAKE, 1, 1, new byte[0]);
    reply.put(20, (byte) 0);
    assertThat(r.rewrite(reply)).isEqualTo(Verdict.DROP);
    PacketRewriter all =
        PacketRewriter.builder(Ipv4.address(TUN), RELAY_PORT, table).captureAll().build();
    assertThat(all.rewrite(Packets.echoRequest(APP, RESOLVER, 1, 1, new byte[0])))
        .as("capture-all does not claim every host is up")
        .isEqualTo(Verdict.DROP);
    assertThat(r.stats().dropped(DropReason.ICMP)).isEqualTo(2);
  }

  @Test
  void aRejectedUdpFlowGetsPortUnreachableAndNoEntry() {
    List<String> judged = new ArrayList<>();
    PacketRewriter r =
        fakeOnly()
            .flowFilter(
                (protocol, source, sourcePort, destination, destinationPort) -> {
                  judged.add(protocol + " " + destination.getHostAddress() + ":" + destinationPort);
                  return FlowFilter.Judgement.REJECT;
                })
            .build();
    ByteBuffer p =
        Packets.udp(APP, 40000, FAKE, 9000, "payload-longer-than-eight".getBytes(), false);
    byte[] originalHead = new byte[28];
    p.get(0, originalHead);

    assertThat(r.rewrite(p)).isEqualTo(Verdict.REPLY);

    assertThat(judged).containsExactly("17 198.18.3.7:9000");
    assertThat(p.remaining()).isEqualTo(20 + 8 + 28);
    assertThat(p.get(9)).isEqualTo((byte) 1);
    assertThat(Packets.srcAddress(p, 0)).isEqualTo(FAKE);
    assertThat(Packets.dstAddress(p, 0)).isEqualTo(APP);
    assertThat(p.get(20)).isEqualTo((byte) 3);
    assertThat(p.get(21)).isEqualTo((byte) 3);
    byte[] quoted = new byte[28];
    p.get(28, quoted);
    assertThat(quoted).isEqualTo(originalHead);
    assertThat(Packets.storedIpChecksum(p, 0)).isEqualTo(Packets.ipChecksum(p, 0));
    assertThat(p.getShort(22) & 0xffff).isEqualTo(Packets.icmpChecksum(p, 0));
    assertThat(table.activeEntries()).isZero();
    assertThat(r.stats().rejectedFlows()).isEqualTo(1);
  }

  @Test
  void aRejectedTcpFlowGetsARstAndADroppedOneNothing() {
    PacketRewriter reject =
        fakeOnly().flowFilter((p, s, sp, d, dp) -> FlowFilter.Judgement.REJECT).build();
    ByteBuffer syn = Packets.tcp(APP, 40000, FAKE, 443, TcpHeader.SYN);
    assertThat(reject.rewrite(syn)).isEqualTo(Verdict.REPLY);
    assertThat(Packets.flags(syn, 0)).isEqualTo(TcpHeader.RST | TcpHeader.ACK);
    assertThat(Packets.srcAddress(syn, 0)).isEqualTo(FAKE);

    PacketRewriter drop =
        fakeOnly().flowFilter((p, s, sp, d, dp) -> FlowFilter.Judgement.DROP).build();
    assertThat(drop.rewrite(Packets.tcp(APP, 40001, FAKE, 443, TcpHeader.SYN)))
        .isEqualTo(Verdict.DROP);
    assertThat(drop.rewrite(Packets.udp(APP, 40001, FAKE, 443, new byte[1], false)))
        .isEqualTo(Verdict.DROP);
    assertThat(table.activeEntries()).isZero();
  }

  @Test
  void hijackedDnsIsNotJudgedAndAFailingFilterAccepts() {
    PacketRewriter r =
        fakeOnly()
            .dnsHijack(DNS_PORT, true, true)
            .flowFilter(
                (p, s, sp, d, dp) -> {
                  if (dp == 53) {
                    throw new AssertionError("hijacked DNS must not be judged");
                  }
                  throw new IllegalStateException("a bug in the filter");
                })
            .build();
    assertThat(r.rewrite(Packets.udp(APP, 40000, RESOLVER, 53, new byte[1], false)))
        .isEqualTo(Verdict.FORWARD);
    assertThat(r.rewrite(Packets.udp(APP, 40000, FAKE, 9000, new byte[1], false)))
        .isEqualTo(Verdict.FORWARD);
  }

  @Test
  void captureAllNatsRealDestinationsFromAnySourceButNotMulticast() {
    PacketRewriter r =
        PacketRewriter.builder(Ipv4.address(TUN), RELAY_PORT, table).captureAll().build();
    int lanHost = ip("192.168.1.5");
    int real = ip("93.184.216.34");
    ByteBuffer syn = Packets.tcp(lanHost, 50000, real, 443, TcpHeader.SYN);
    assertThat(r.rewrite(syn)).isEqualTo(Verdict.FORWARD);
    java.net.InetSocketAddress peer =
        new java.net.InetSocketAddress(Ipv4.address(Packets.srcAddress(syn, 0)), port(syn, 0));
    NatFlow flow = table.claim(peer).orElseThrow();
    assertThat(flow.sourceAddress()).isEqualTo(Ipv4.address(lanHost));
    assertThat(flow.destinationAddress()).isEqualTo(Ipv4.address(real));

    ByteBuffer u = Packets.udp(lanHost, 50000, real, 443, new byte[1], false);
    assertThat(r.rewrite(u)).isEqualTo(Verdict.FORWARD);
    assertThat(r.rewrite(Packets.udp(APP, 5353, ip("224.0.0.251"), 5353, new byte[1], false)))
        .isEqualTo(Verdict.DROP);
    assertThat(r.rewrite(Packets.udp(APP, 68, ip("255.255.255.255"), 67, new byte[1], false)))
        .isEqualTo(Verdict.DROP);
  }
}
