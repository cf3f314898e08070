package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Properties checked over many seeded random cases. The seed is fixed so that a failure names a
 * case that can be replayed; the case index is in each assertion's description.
 */
class PacketRewriterPropertyTest {
  private static final long SEED = 0x7475726e6f7574L;
  static final int TUN = ip("198.18.0.1");
  static final int RELAY_PORT = 7890;

  static PacketRewriter rewriter(NatTable table) {
    return new PacketRewriter(
        Ipv4.address(TUN), RELAY_PORT, ip("198.18.0.0"), ip("198.19.255.255"), table);
  }

  static NatTable table(int firstPort) {
    return new NatTable(
        ip("198.19.0.1"),
        ip("198.19.255.254"),
        firstPort,
        65535,
        Duration.ofSeconds(30),
        Duration.ofSeconds(5),
        new ManualTimeSource());
  }

  private static byte[] bytes(SplittableRandom random, int min, int max) {
    byte[] bytes = new byte[random.nextInt(min, max + 1)];
    random.nextBytes(bytes);
    return bytes;
  }

  @Test
  void forwardThenReverseRewritesExactlyAndChecksumsMatchFullRecomputation() {
    SplittableRandom random = new SplittableRandom(SEED);
    for (int i = 0; i < 2000; i++) {
      forwardThenReverse(
          random.nextInt(),
          random.nextInt(1, 65536),
          random.nextInt(0, 0x20000),
          random.nextInt(1, 65536),
          random.nextInt(1, 60001),
          random.nextInt(0, 11),
          random.nextInt(),
          bytes(random, 0, 300),
          bytes(random, 0, 300));
    }
  }

  private static void forwardThenReverse(
      int source,
      int sourcePort,
      int fakeOffset,
      int destinationPort,
      int firstSessionPort,
      int ipOptionWords,
      int seq,
      byte[] payload,
      byte[] replyPayload) {
    int fake = ip("198.18.0.0") + fakeOffset;
    if (Integer.compareUnsigned(fake, ip("198.19.0.0")) >= 0) {
      fake = ip("198.18.0.0") + (fakeOffset & 0xffff); // stay out of the NAT pool
    }
    NatTable table = table(firstSessionPort);
    PacketRewriter rewriter = rewriter(table);
    ByteBuffer syn =
        Packets.tcp(
            source,
            sourcePort,
            fake,
            destinationPort,
            TcpHeader.SYN,
            seq,
            0,
            payload,
            ipOptionWords);
    assertThat(rewriter.rewrite(syn)).isEqualTo(Verdict.FORWARD);
    assertThat(syn.getInt(12)).isEqualTo(ip("198.19.0.1"));
    assertThat(Packets.srcPort(syn, 0)).isEqualTo(firstSessionPort);
    assertThat(syn.getInt(16)).isEqualTo(TUN);
    assertThat(Packets.dstPort(syn, 0)).isEqualTo(RELAY_PORT);
    PacketRewriterTest.assertChecksumsValid(syn, 0);

    ByteBuffer reply =
        Packets.tcp(
            TUN,
            RELAY_PORT,
            syn.getInt(12),
            firstSessionPort,
            TcpHeader.SYN | TcpHeader.ACK,
            ~seq,
            seq + 1,
            replyPayload,
            ipOptionWords);
    assertThat(rewriter.rewrite(reply)).isEqualTo(Verdict.FORWARD);
    assertThat(reply.getInt(12)).isEqualTo(fake);
    assertThat(Packets.srcPort(reply, 0)).isEqualTo(destinationPort);
    assertThat(reply.getInt(16)).isEqualTo(source);
    assertThat(Packets.dstPort(reply, 0)).isEqualTo(sourcePort);
    PacketRewriterTest.assertChecksumsValid(reply, 0);
  }

  @Test
  void incrementalUpdateAgreesWithFullSum() {
    SplittableRandom random = new SplittableRandom(SEED + 1);
    for (int i = 0; i < 20_000; i++) {
      incrementalUpdate(bytes(random, 4, 64), random.nextInt(0, 31), random.nextInt());
    }
  }

  private static void incrementalUpdate(byte[] data, int wordIndex, int newValue) {
    ByteBuffer b =
        ByteBuffer.wrap(
            data.length % 2 == 0 ? data : java.util.Arrays.copyOf(data, data.length + 1));
    int offset = (wordIndex * 2) % (b.capacity() - 2);
    int before = Checksums.finish(Checksums.sum(b, 0, b.capacity()));
    int old = b.getShort(offset) & 0xffff;
    b.putShort(offset, (short) newValue);
    int updated = Checksums.update16(before, old, newValue & 0xffff);
    int full = Checksums.finish(Checksums.sum(b, 0, b.capacity()));
    // One's complement has two zeros; both encode the same sum.
    assertThat(updated == full || (updated ^ full) == 0xffff && (full == 0 || full == 0xffff))
        .as("updated %04x full %04x", updated, full)
        .isTrue();
  }

  @Test
  void randomBytesNeverThrow() {
    SplittableRandom random = new SplittableRandom(SEED + 2);
    for (int i = 0; i < 100_000; i++) {
      randomBytes(bytes(random, 0, 120), random.nextBoolean());
    }
  }

  private static void randomBytes(byte[] bytes, boolean ipv4) {
    if (ipv4 && bytes.length > 0) {
      bytes[0] = (byte) (0x40 | bytes[0] & 0x0f);
    }
    PacketRewriter rewriter = rewriter(table(1024));
    ByteBuffer packet = ByteBuffer.wrap(bytes);

    Verdict verdict = rewriter.rewrite(packet);

    NatStats stats = rewriter.stats();
    assertThat(stats.packetsIn()).isEqualTo(1);
    assertThat(stats.forwarded() + stats.replied() + stats.droppedTotal()).isEqualTo(1);
    if (verdict != Verdict.DROP) {
      PacketRewriterTest.assertChecksumsValid(packet, 0);
    }
  }

  @Test
  void mutatedPacketsNeverThrowAndWhatIsWrittenHasValidChecksums() {
    SplittableRandom random = new SplittableRandom(SEED + 3);
    for (int i = 0; i < 100_000; i++) {
      List<Integer> positions = new ArrayList<>();
      for (int n = random.nextInt(1, 7); n > 0; n--) {
        positions.add(random.nextInt(0, 80));
      }
      mutated(positions, bytes(random, 6, 6), random.nextInt(0, 81), random.nextBoolean());
    }
  }

  private static void mutated(
      List<Integer> positions, byte[] values, int limit, boolean fromRelay) {
    PacketRewriter rewriter = rewriter(table(1024));
    rewriter.rewrite(Packets.tcp(ip("198.18.0.1"), 40001, ip("198.18.3.7"), 443, TcpHeader.SYN));
    ByteBuffer packet =
        fromRelay
            ? Packets.tcp(
                TUN, RELAY_PORT, ip("198.19.0.1"), 1024, TcpHeader.ACK, 1, 2, new byte[36], 0)
            : Packets.tcp(
                ip("198.18.0.1"),
                40001,
                ip("198.18.3.7"),
                443,
                TcpHeader.ACK,
                1,
                2,
                new byte[36],
                0);
    for (int i = 0; i < positions.size(); i++) {
      packet.put(positions.get(i), values[i]);
    }
    packet.limit(limit);
    boolean ipChecksumValidBefore =
        limit >= 20
            && Packets.ihl(packet, 0) <= limit
            && Packets.storedIpChecksum(packet, 0) == Packets.ipChecksum(packet, 0);

    Verdict verdict = rewriter.rewrite(packet);

    // An incremental update keeps a valid checksum valid (and a broken one broken); a generated
    // reply is always valid.
    if (verdict == Verdict.REPLY) {
      PacketRewriterTest.assertChecksumsValid(packet, 0);
    } else if (verdict == Verdict.FORWARD && ipChecksumValidBefore) {
      assertThat(Packets.storedIpChecksum(packet, 0)).isEqualTo(Packets.ipChecksum(packet, 0));
    }
  }
}
