package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Packets as a TUN with offloads hands them over ({@code CHECKSUM_PARTIAL}: the L4 checksum field
 * holds the pseudo-header sum, not inverted). After rewriting, completing the checksum the way the
 * kernel does (sum from the L4 header to the end, field included, then invert) must give the same
 * value as a full recomputation over the rewritten packet.
 */
class PartialChecksumTest {
  private static final long SEED = 0x6f66666c6f6164L;
  private static final int FAKE = ip("198.18.3.7");
  private static final int APP = ip("198.18.0.1");

  @Test
  void tcpForwardAndReverseStayCompletableWithFullChecksumsEqual() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < 2000; i++) {
      PacketRewriter rewriter =
          PacketRewriterPropertyTest.rewriter(PacketRewriterPropertyTest.table(1024));
      int source = random.nextBoolean() ? APP : random.nextInt();
      int sourcePort = random.nextInt(1, 65536);
      int destination = FAKE + random.nextInt(0, 0x100);
      int destinationPort = random.nextInt(1, 65536);
      ByteBuffer syn =
          Packets.tcp(
              source,
              sourcePort,
              destination,
              destinationPort,
              TcpHeader.SYN,
              random.nextInt(),
              0,
              payload(random),
              random.nextInt(0, 4));
      makePartial(syn, Packets.TCP);
      assertThat(rewriter.rewrite(syn, true)).as("case %d", i).isEqualTo(Verdict.FORWARD);
      assertCompletesToFullChecksum(syn, Packets.TCP, i);
      assertThat(Packets.storedIpChecksum(syn, 0)).isEqualTo(Packets.ipChecksum(syn, 0));

      int session = Packets.srcAddress(syn, 0);
      int sessionPort = Packets.srcPort(syn, 0);
      ByteBuffer reply =
          Packets.tcp(
              PacketRewriterPropertyTest.TUN,
              PacketRewriterPropertyTest.RELAY_PORT,
              session,
              sessionPort,
              TcpHeader.SYN | TcpHeader.ACK,
              random.nextInt(),
              random.nextInt(),
              payload(random),
              0);
      makePartial(reply, Packets.TCP);
      assertThat(rewriter.rewrite(reply, true)).as("reply %d", i).isEqualTo(Verdict.FORWARD);
      assertThat(Packets.srcAddress(reply, 0)).isEqualTo(destination);
      assertThat(Packets.srcPort(reply, 0)).isEqualTo(destinationPort);
      assertThat(Packets.dstPort(reply, 0)).isEqualTo(sourcePort);
      assertCompletesToFullChecksum(reply, Packets.TCP, i);
    }
  }

  @Test
  void udpForwardStaysCompletable() {
    SplittableRandom random = new SplittableRandom(SEED + 1);
    for (int i = 0; i < 500; i++) {
      PacketRewriter rewriter =
          PacketRewriterPropertyTest.rewriter(PacketRewriterPropertyTest.table(1024));
      ByteBuffer datagram =
          Packets.udp(
              APP,
              random.nextInt(1, 65536),
              FAKE,
              random.nextInt(1, 65536),
              payload(random),
              false);
      makePartial(datagram, Packets.UDP);
      assertThat(rewriter.rewrite(datagram, true)).as("case %d", i).isEqualTo(Verdict.FORWARD);
      assertCompletesToFullChecksum(datagram, Packets.UDP, i);
    }
  }

  @Test
  void aRejectGeneratedForAPartialSegmentHasAFullChecksum() {
    PacketRewriter rewriter =
        PacketRewriterPropertyTest.rewriter(PacketRewriterPropertyTest.table(1024));
    ByteBuffer data =
        Packets.tcp(APP, 40000, FAKE, 443, TcpHeader.ACK, 1, 2, new byte[1000], 0); // no entry
    makePartial(data, Packets.TCP);
    assertThat(rewriter.rewrite(data, true)).isEqualTo(Verdict.REPLY);
    assertThat(Packets.flags(data, 0) & TcpHeader.RST).isNotZero();
    assertThat(Packets.storedTcpChecksum(data, 0)).isEqualTo(Packets.tcpChecksum(data, 0));
  }

  @Test
  void aPartialEchoRequestGetsAReplyWithAFullChecksum() {
    PacketRewriter rewriter =
        PacketRewriterPropertyTest.rewriter(PacketRewriterPropertyTest.table(1024));
    ByteBuffer ping = Packets.echoRequest(APP, FAKE, 7, 1, new byte[] {1, 2, 3});
    ping.putShort(22, (short) 0); // as left for the kernel to fill in
    assertThat(rewriter.rewrite(ping, true)).isEqualTo(Verdict.REPLY);
    assertThat(ping.getShort(22) & 0xffff).isEqualTo(Packets.icmpChecksum(ping, 0));
  }

  private static byte[] payload(SplittableRandom random) {
    byte[] bytes = new byte[random.nextInt(0, 1500)];
    random.nextBytes(bytes);
    return bytes;
  }

  private static int checksumOffset(ByteBuffer b, int protocol) {
    return Packets.ihl(b, 0) + (protocol == Packets.TCP ? 16 : 6);
  }

  /** Replaces the full checksum with the pseudo-header sum, as the kernel leaves it. */
  private static void makePartial(ByteBuffer b, int protocol) {
    int length = (b.getShort(2) & 0xffff) - Packets.ihl(b, 0);
    int pseudo =
        Checksums.pseudoHeaderSum(
            Packets.srcAddress(b, 0), Packets.dstAddress(b, 0), protocol, length);
    b.putShort(checksumOffset(b, protocol), (short) pseudo);
  }

  /** Completes as the kernel would and compares with a full recomputation. */
  private static void assertCompletesToFullChecksum(ByteBuffer b, int protocol, int i) {
    int ihl = Packets.ihl(b, 0);
    int length = (b.getShort(2) & 0xffff) - ihl;
    int completed = Checksums.finish(Checksums.sum(b, ihl, length));
    int full = protocol == Packets.TCP ? Packets.tcpChecksum(b, 0) : Packets.udpChecksum(b, 0);
    assertThat(completed).as("case %d", i).isEqualTo(full);
  }
}
