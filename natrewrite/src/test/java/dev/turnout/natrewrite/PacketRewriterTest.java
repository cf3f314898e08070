package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PacketRewriterTest {
  static final int TUN = ip("198.18.0.1");
  static final int APP_PORT = 40001;
  static final int FAKE = ip("198.18.3.7");
  static final int RELAY_PORT = 7890;
  static final int SYN = TcpHeader.SYN;
  static final int ACK = TcpHeader.ACK;
  static final int RST = TcpHeader.RST;

  final ManualTimeSource ticker = new ManualTimeSource();
  final NatTable table =
      new NatTable(
          ip("198.19.0.1"),
          ip("198.19.255.254"),
          1024,
          65535,
          Duration.ofSeconds(30),
          Duration.ofSeconds(5),
          ticker);
  final PacketRewriter rewriter =
      new PacketRewriter(
          Ipv4.address(TUN), RELAY_PORT, ip("198.18.0.0"), ip("198.19.255.255"), table);

  @Test
  void synIsRewrittenToTheRelayFromTheFirstSessionAddress() {
    ByteBuffer p = Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN, 77, 0, "hi".getBytes(), 1);

    assertThat(rewriter.rewrite(p)).isEqualTo(Verdict.FORWARD);

    assertThat(p.getInt(12)).isEqualTo(ip("198.19.0.1"));
    assertThat(p.getInt(16)).isEqualTo(TUN);
    assertThat(Packets.srcPort(p, 0)).isEqualTo(1024);
    assertThat(Packets.dstPort(p, 0)).isEqualTo(RELAY_PORT);
    assertChecksumsValid(p, 0);
    assertThat(table.activeEntries()).isEqualTo(1);
  }

  @Test
  void relayReplyIsRewrittenToTheOriginalFlow() {
    rewriter.rewrite(Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN));
    ByteBuffer reply =
        Packets.tcp(TUN, RELAY_PORT, ip("198.19.0.1"), 1024, SYN | ACK, 5, 78, new byte[0], 0);

    assertThat(rewriter.rewrite(reply)).isEqualTo(Verdict.FORWARD);

    assertThat(reply.getInt(12)).isEqualTo(FAKE);
    assertThat(reply.getInt(16)).isEqualTo(TUN);
    assertThat(Packets.srcPort(reply, 0)).isEqualTo(443);
    assertThat(Packets.dstPort(reply, 0)).isEqualTo(APP_PORT);
    assertChecksumsValid(reply, 0);
  }

  @Test
  void packetInTheMiddleOfALargerBufferIsRewrittenInPlace() {
    ByteBuffer packet = Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN, 1, 0, new byte[33], 0);
    ByteBuffer big = ByteBuffer.allocate(packet.capacity() + 20);
    big.position(7).put(packet.duplicate()).position(7);

    assertThat(rewriter.rewrite(big)).isEqualTo(Verdict.FORWARD);

    assertThat(big.position()).isEqualTo(7);
    assertThat(big.limit()).isEqualTo(7 + packet.capacity());
    assertThat(big.getInt(7 + 16)).isEqualTo(TUN);
    assertChecksumsValid(big, 7);
  }

  @Test
  void retransmittedSynAndLaterSegmentsKeepTheSessionAddress() {
    ByteBuffer first = Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN);
    ByteBuffer again = Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN);
    ByteBuffer ack = Packets.tcp(TUN, APP_PORT, FAKE, 443, ACK);
    rewriter.rewrite(first);
    rewriter.rewrite(again);
    assertThat(rewriter.rewrite(ack)).isEqualTo(Verdict.FORWARD);

    assertThat(again.getInt(12)).isEqualTo(first.getInt(12));
    assertThat(Packets.srcPort(again, 0)).isEqualTo(Packets.srcPort(first, 0));
    assertThat(Packets.srcPort(ack, 0)).isEqualTo(Packets.srcPort(first, 0));
    assertThat(table.activeEntries()).isEqualTo(1);
  }

  @Test
  void synFromAReusedPortDuringGraceGetsAFreshSessionAddress() {
    ByteBuffer first = Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN);
    rewriter.rewrite(first);
    InetSocketAddress session = sessionOf(first);
    assertThat(table.claim(session)).isPresent();
    table.release(session);
    ByteBuffer finAck = Packets.tcp(TUN, APP_PORT, FAKE, 443, TcpHeader.FIN | ACK);
    assertThat(rewriter.rewrite(finAck)).isEqualTo(Verdict.FORWARD);
    assertThat(sessionOf(finAck)).isEqualTo(session);

    ByteBuffer second = Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN);
    assertThat(rewriter.rewrite(second)).isEqualTo(Verdict.FORWARD);

    assertThat(sessionOf(second)).isNotEqualTo(session);
    assertThat(table.activeEntries()).isEqualTo(2);
  }

  @Test
  void segmentWithAckAndNoEntryIsAnsweredWithRstCarryingItsAck() {
    ByteBuffer p = Packets.tcp(TUN, APP_PORT, FAKE, 443, ACK, 100, 5555, new byte[10], 2);

    assertThat(rewriter.rewrite(p)).isEqualTo(Verdict.REPLY);

    assertThat(p.remaining()).isEqualTo(40);
    assertThat(p.getInt(12)).isEqualTo(FAKE);
    assertThat(p.getInt(16)).isEqualTo(TUN);
    assertThat(Packets.srcPort(p, 0)).isEqualTo(443);
    assertThat(Packets.dstPort(p, 0)).isEqualTo(APP_PORT);
    assertThat(Packets.flags(p, 0)).isEqualTo(RST);
    assertThat(p.getInt(24)).isEqualTo(5555); // seq = SEG.ACK
    assertChecksumsValid(p, 0);
    assertThat(table.activeEntries()).isZero();
    assertThat(rewriter.stats().replied()).isEqualTo(1);
  }

  @Test
  void finWithoutAckAndNoEntryGetsRstAckCoveringPayloadAndFin() {
    ByteBuffer p = Packets.tcp(TUN, APP_PORT, FAKE, 443, TcpHeader.FIN, 100, 0, new byte[10], 0);

    assertThat(rewriter.rewrite(p)).isEqualTo(Verdict.REPLY);

    assertThat(Packets.flags(p, 0)).isEqualTo(RST | ACK);
    assertThat(p.getInt(24)).isZero();
    assertThat(p.getInt(28)).isEqualTo(111);
    assertChecksumsValid(p, 0);
  }

  @Test
  void rstWithoutEntryIsDroppedNotAnswered() {
    ByteBuffer p = Packets.tcp(TUN, APP_PORT, FAKE, 443, RST);

    assertThat(rewriter.rewrite(p)).isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(DropReason.NO_ENTRY)).isEqualTo(1);
  }

  @Test
  void packetsOutsideTheRangesAreDropped() {
    assertThat(rewriter.rewrite(Packets.tcp(TUN, APP_PORT, ip("10.0.0.1"), 443, SYN)))
        .isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(DropReason.OUTSIDE_RANGE)).isEqualTo(1);
  }

  @Test
  void packetsToThePoolNotFromTheRelayAreDropped() {
    rewriter.rewrite(Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN));

    assertThat(rewriter.rewrite(Packets.tcp(TUN, 9999, ip("198.19.0.1"), 1024, ACK)))
        .isEqualTo(Verdict.DROP);
    assertThat(rewriter.rewrite(Packets.tcp(FAKE, RELAY_PORT, ip("198.19.0.1"), 1024, ACK)))
        .isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(DropReason.NOT_FROM_RELAY)).isEqualTo(2);
  }

  @Test
  void relayPacketToAnUnknownSessionIsDropped() {
    assertThat(rewriter.rewrite(Packets.tcp(TUN, RELAY_PORT, ip("198.19.0.1"), 1024, ACK)))
        .isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(DropReason.NO_ENTRY)).isEqualTo(1);
  }

  @Test
  void flowIsForgottenAfterGraceAndLaterSegmentsAreReset() {
    ByteBuffer syn = Packets.tcp(TUN, APP_PORT, FAKE, 443, SYN);
    rewriter.rewrite(syn);
    table.claim(sessionOf(syn));
    table.release(sessionOf(syn));
    ticker.advance(Duration.ofSeconds(5));
    assertThat(table.expire()).isEqualTo(1);

    assertThat(rewriter.rewrite(Packets.tcp(TUN, APP_PORT, FAKE, 443, ACK)))
        .isEqualTo(Verdict.REPLY);
    assertThat(rewriter.rewrite(Packets.tcp(TUN, RELAY_PORT, ip("198.19.0.1"), 1024, ACK)))
        .isEqualTo(Verdict.DROP);
  }

  @Test
  void exhaustedPoolDropsTheSyn() {
    NatTable tiny =
        new NatTable(
            ip("198.19.0.1"),
            ip("198.19.0.1"),
            2000,
            2000,
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            ticker);
    PacketRewriter r =
        new PacketRewriter(
            Ipv4.address(TUN), RELAY_PORT, ip("198.18.0.0"), ip("198.19.255.255"), tiny);
    assertThat(r.rewrite(Packets.tcp(TUN, 1, FAKE, 443, SYN))).isEqualTo(Verdict.FORWARD);

    assertThat(r.rewrite(Packets.tcp(TUN, 2, FAKE, 443, SYN))).isEqualTo(Verdict.DROP);

    NatStats stats = r.stats();
    assertThat(stats.dropped(DropReason.POOL_EXHAUSTED)).isEqualTo(1);
    assertThat(stats.allocationFailures()).isEqualTo(1);
    assertThat(stats.packetsIn()).isEqualTo(2);
    assertThat(stats.forwarded()).isEqualTo(1);
  }

  static InetSocketAddress sessionOf(ByteBuffer forwarded) {
    return new InetSocketAddress(
        Ipv4.address(forwarded.getInt(forwarded.position() + 12)),
        Packets.srcPort(forwarded, forwarded.position()));
  }

  static void assertChecksumsValid(ByteBuffer p, int base) {
    assertThat(Packets.storedIpChecksum(p, base)).isEqualTo(Packets.ipChecksum(p, base));
    assertThat(Packets.storedTcpChecksum(p, base)).isEqualTo(Packets.tcpChecksum(p, base));
  }
}
