package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.nio.ByteBuffer;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class MalformedPacketTest {
  final NatTable table =
      new NatTable(
          ip("198.19.0.1"),
          ip("198.19.255.254"),
          1024,
          65535,
          Duration.ofSeconds(30),
          Duration.ofSeconds(5),
          new ManualTimeSource());
  final PacketRewriter rewriter =
      new PacketRewriter(
          Ipv4.address(ip("198.18.0.1")), 7890, ip("198.18.0.0"), ip("198.19.255.255"), table);

  ByteBuffer syn() {
    return Packets.tcp(ip("198.18.0.1"), 40001, ip("198.18.3.7"), 443, TcpHeader.SYN);
  }

  void assertDropped(ByteBuffer packet, DropReason reason) {
    assertThat(rewriter.rewrite(packet)).isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(reason)).isEqualTo(1);
    assertThat(rewriter.stats().droppedTotal()).isEqualTo(1);
    assertThat(table.activeEntries()).isZero();
  }

  @Test
  void emptyBuffer() {
    assertDropped(ByteBuffer.allocate(0), DropReason.MALFORMED);
  }

  @Test
  void shorterThanAnIpHeader() {
    assertDropped(syn().limit(19), DropReason.MALFORMED);
  }

  @Test
  void ihlBelowFive() {
    ByteBuffer p = syn();
    p.put(0, (byte) 0x44);
    assertDropped(p, DropReason.MALFORMED);
  }

  @Test
  void ihlBeyondTotalLength() {
    ByteBuffer p = syn();
    p.put(0, (byte) 0x4f);
    p.putShort(2, (short) 44);
    assertDropped(p.limit(44), DropReason.MALFORMED);
  }

  @Test
  void totalLengthBeyondBuffer() {
    ByteBuffer p = syn();
    p.putShort(2, (short) (p.capacity() + 1));
    assertDropped(p, DropReason.MALFORMED);
  }

  @Test
  void truncatedTcpHeader() {
    ByteBuffer p = syn();
    p.putShort(2, (short) 30);
    assertDropped(p, DropReason.MALFORMED);
  }

  @Test
  void tcpDataOffsetBeyondSegment() {
    ByteBuffer p = syn();
    p.put(32, (byte) 0xf0);
    assertDropped(p, DropReason.MALFORMED);
  }

  @Test
  void tcpDataOffsetBelowFive() {
    ByteBuffer p = syn();
    p.put(32, (byte) 0x40);
    assertDropped(p, DropReason.MALFORMED);
  }

  @Test
  void moreFragmentsFlag() {
    ByteBuffer p = syn();
    p.putShort(6, (short) 0x2000);
    assertDropped(p, DropReason.FRAGMENT);
  }

  @Test
  void nonZeroFragmentOffset() {
    ByteBuffer p = syn();
    p.putShort(6, (short) 0x0001);
    assertDropped(p, DropReason.FRAGMENT);
  }

  @Test
  void ipv6() {
    ByteBuffer p = ByteBuffer.allocate(60);
    p.put(0, (byte) 0x60);
    assertDropped(p, DropReason.IPV6);
  }

  @Test
  void versionFive() {
    ByteBuffer p = syn();
    p.put(0, (byte) 0x55);
    assertDropped(p, DropReason.NOT_IP);
  }

  @Test
  void udpWhoseLengthFieldIsShorterThanItsHeader() {
    ByteBuffer p = syn();
    p.put(9, (byte) 17); // the TCP sequence number's high half (0) becomes the UDP length
    assertDropped(p, DropReason.MALFORMED);
  }

  @Test
  void icmp() {
    ByteBuffer p = syn();
    p.put(9, (byte) 1);
    assertDropped(p, DropReason.ICMP);
  }

  @Test
  void otherProtocol() {
    ByteBuffer p = syn();
    p.put(9, (byte) 47);
    assertDropped(p, DropReason.OTHER_PROTOCOL);
  }
}
