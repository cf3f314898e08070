package dev.turnout.natrewrite.kernel;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.natrewrite.Packets;
import dev.turnout.testing.Root;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Needs root (CAP_BPF). Loads the fast-path program through the real verifier and runs it on
 * hand-built segments with BPF_PROG_TEST_RUN, which hands a tc program an Ethernet frame: the
 * program is built for an IPv4 header at offset 14, everything else is as on the TUN. The rewritten
 * segment's checksums are compared against a full recomputation.
 */
class FastPathProgramIT {
  static final int ETHERNET = 14;
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");
  static final int SESSION = ip("198.19.0.9");

  BpfMap flows;
  BpfMap stats;
  int program = -1;

  @BeforeEach
  void load() throws Exception {
    Root.assertRoot("FastPathProgramIT");
    flows = BpfMap.hash(FastPathProgram.TUPLE_SIZE, FastPathProgram.TUPLE_SIZE, 16, "test_flows");
    stats = BpfMap.perCpuArray(FastPathProgram.STATS_SIZE, 1, "test_stats");
    program =
        Bpf.loadProgram(
            Bpf.PROG_TYPE_SCHED_CLS,
            FastPathProgram.build(ETHERNET, flows.fd(), stats.fd()),
            "Dual MIT/GPL",
            "test_fast");
  }

  @AfterEach
  void unload() {
    Bpf.closeDescriptor(program);
    if (flows != null) {
      flows.close();
    }
    if (stats != null) {
      stats.close();
    }
  }

  @Test
  void aMappedSegmentIsRewrittenWithCorrectChecksumsAndRedirected() throws Exception {
    map(APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    byte[] payload = new byte[1000];
    new SplittableRandom(1).nextBytes(payload);
    ByteBuffer segment = Packets.tcp(APP, 40001, FAKE, 443, 0x18, 77, 99, payload, 0);

    byte[] frame = frame(segment);
    assertThat(Bpf.testRun(program, frame)).isEqualTo(FastPathProgram.REDIRECT);

    ByteBuffer out = ipPart(frame);
    assertThat(Packets.srcAddress(out, 0)).isEqualTo(SESSION);
    assertThat(Packets.dstAddress(out, 0)).isEqualTo(APP);
    assertThat(Packets.srcPort(out, 0)).isEqualTo(5012);
    assertThat(Packets.dstPort(out, 0)).isEqualTo(7890);
    assertThat(Packets.storedIpChecksum(out, 0)).isEqualTo(Packets.ipChecksum(out, 0));
    assertThat(Packets.storedTcpChecksum(out, 0)).isEqualTo(Packets.tcpChecksum(out, 0));
    assertThat(Arrays.copyOfRange(frame, ETHERNET + 44, ETHERNET + 44 + payload.length))
        .isEqualTo(payload);
    // skb->len counts the Ethernet header of a test run; on the TUN there is none.
    assertThat(counters()).containsExactly(1, ETHERNET + segment.limit());
  }

  @Test
  void bothDirectionsOfAFlowRoundTripToTheOriginalBytes() throws Exception {
    map(APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    map(APP, 7890, SESSION, 5012, FAKE, 443, APP, 40001);
    SplittableRandom random = new SplittableRandom(2);
    for (int i = 0; i < 200; i++) {
      byte[] payload = new byte[random.nextInt(0, 1400)];
      random.nextBytes(payload);
      ByteBuffer reply =
          Packets.tcp(
              APP, 7890, SESSION, 5012, 0x10, random.nextInt(), random.nextInt(), payload, 0);
      byte[] frame = frame(reply);
      assertThat(Bpf.testRun(program, frame)).isEqualTo(FastPathProgram.REDIRECT);
      ByteBuffer out = ipPart(frame);
      assertThat(Packets.srcAddress(out, 0)).isEqualTo(FAKE);
      assertThat(Packets.srcPort(out, 0)).isEqualTo(443);
      assertThat(Packets.dstPort(out, 0)).isEqualTo(40001);
      assertThat(Packets.storedIpChecksum(out, 0)).isEqualTo(Packets.ipChecksum(out, 0));
      assertThat(Packets.storedTcpChecksum(out, 0)).isEqualTo(Packets.tcpChecksum(out, 0));
    }
  }

  @Test
  void whatTheProgramMustNotTouchPassesUnchanged() throws Exception {
    map(APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    assertPassesUnchanged(Packets.tcp(APP, 40001, FAKE, 443, 0x02), "a SYN of a mapped tuple");
    assertPassesUnchanged(Packets.tcp(APP, 40002, FAKE, 443, 0x10), "an unmapped tuple");
    assertPassesUnchanged(
        Packets.tcp(APP, 40001, FAKE, 443, 0x10, 1, 1, new byte[8], 1), "IP options");
    ByteBuffer fragment = Packets.tcp(APP, 40001, FAKE, 443, 0x10);
    fragment.putShort(6, (short) 0x2000); // more fragments
    assertPassesUnchanged(fragment, "a first fragment");
    ByteBuffer udp = Packets.udp(APP, 40001, FAKE, 443, new byte[20], false);
    assertPassesUnchanged(udp.limit(udp.getShort(2) & 0xffff), "UDP");
    ByteBuffer truncated = Packets.tcp(APP, 40001, FAKE, 443, 0x10).limit(30);
    assertPassesUnchanged(truncated, "a segment shorter than its headers");
    assertThat(counters()).containsExactly(0, 0);
  }

  void assertPassesUnchanged(ByteBuffer packet, String what) throws Exception {
    byte[] frame = frame(packet);
    byte[] before = frame.clone();
    assertThat(Bpf.testRun(program, frame)).as(what).isEqualTo(FastPathProgram.PASS);
    assertThat(frame).as(what).isEqualTo(before);
  }

  void map(int src, int sport, int dst, int dport, int nsrc, int nsport, int ndst, int ndport) {
    assertThat(flows.put(tuple(src, sport, dst, dport), tuple(nsrc, nsport, ndst, ndport)))
        .isZero();
  }

  static byte[] tuple(int source, int sourcePort, int destination, int destinationPort) {
    return ByteBuffer.allocate(12)
        .putInt(source)
        .putInt(destination)
        .putShort((short) sourcePort)
        .putShort((short) destinationPort)
        .array();
  }

  /** The packet behind an Ethernet header, as BPF_PROG_TEST_RUN wants it for a tc program. */
  static byte[] frame(ByteBuffer packet) {
    byte[] frame = new byte[ETHERNET + packet.limit()];
    frame[12] = 0x08; // EtherType IPv4
    for (int i = 0; i < packet.limit(); i++) {
      frame[ETHERNET + i] = packet.get(i);
    }
    return frame;
  }

  static ByteBuffer ipPart(byte[] frame) {
    return ByteBuffer.wrap(Arrays.copyOfRange(frame, ETHERNET, frame.length));
  }

  long[] counters() {
    byte[] values = new byte[stats.valueSize()];
    assertThat(stats.get(new byte[4], values)).isTrue();
    return FastPathProgram.sumStats(values);
  }
}
