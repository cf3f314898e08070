package dev.turnout.natrewrite.kernel;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.natrewrite.Packets;
import dev.turnout.natrewrite.Packets6;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.LibC;
import dev.turnout.testing.Root;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Needs root (CAP_BPF). Loads the fast-path program through the real verifier and runs it on
 * hand-built segments with BPF_PROG_TEST_RUN, which hands a tc program an Ethernet frame: the
 * program is built for an IP header at offset 14, everything else is as on the TUN. The rewritten
 * segment's checksums are compared against a full recomputation, for IPv4 and IPv6, TCP and UDP.
 */
class FastPathProgramIT {
  static final int ETHERNET = 14;
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");
  static final int SESSION = ip("198.19.0.9");
  static final int REMOTE = ip("203.0.113.5");

  static final long[] APP6 = Packets6.ip6("fdfe:dcba:9876::1");
  static final long[] FAKE6 = Packets6.ip6("fdfe:dcba:9876::abcd");
  static final long[] SESSION6 = Packets6.ip6("fdfe:dcba:9876:0:8000::9");

  BpfMap flows;
  BpfMap flows6;
  BpfMap udp;
  BpfMap udp6;
  BpfMap forwarded;
  BpfMap stats;
  int program = -1;

  @BeforeEach
  void load() throws Exception {
    Root.assertRoot("FastPathProgramIT");
    flows = BpfMap.hash(FastPathProgram.TUPLE_SIZE, FastPathProgram.TUPLE_SIZE, 16, "test_flows");
    flows6 =
        BpfMap.hash(FastPathProgram.TUPLE6_SIZE, FastPathProgram.TUPLE6_SIZE, 16, "test_flows6");
    udp = BpfMap.hash(FastPathProgram.TUPLE_SIZE, FastPathProgram.TUPLE_SIZE, 16, "test_udp");
    udp6 = BpfMap.hash(FastPathProgram.TUPLE6_SIZE, FastPathProgram.TUPLE6_SIZE, 16, "test_udp6");
    forwarded =
        BpfMap.hash(
            FastPathProgram.TUPLE_SIZE, FastPathProgram.FORWARDED_VALUE_SIZE, 16, "test_fwd");
    stats =
        BpfMap.perCpuArray(FastPathProgram.STATS_SIZE, FastPathProgram.STATS_ENTRIES, "test_stats");
    program =
        Bpf.loadProgram(
            Bpf.PROG_TYPE_SCHED_CLS,
            FastPathProgram.build(
                ETHERNET,
                flows.fd(),
                flows6.fd(),
                udp.fd(),
                udp6.fd(),
                forwarded.fd(),
                stats.fd(),
                -1),
            "Dual MIT/GPL",
            "test_fast");
  }

  @AfterEach
  void unload() {
    Bpf.closeDescriptor(program);
    if (flows != null) {
      flows.close();
    }
    if (flows6 != null) {
      flows6.close();
    }
    if (udp != null) {
      udp.close();
    }
    if (udp6 != null) {
      udp6.close();
    }
    if (forwarded != null) {
      forwarded.close();
    }
    if (stats != null) {
      stats.close();
    }
  }

  @Test
  void aMappedSegmentIsRewrittenWithCorrectChecksumsAndRedirected() throws Exception {
    map(flows, APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    byte[] payload = new byte[1000];
    new SplittableRandom(1).nextBytes(payload);
    ByteBuffer segment = Packets.tcp(APP, 40001, FAKE, 443, 0x18, 77, 99, payload, 0);

    ByteBuffer out = assertRedirected(segment, "a mapped segment", SESSION, 5012, APP, 7890);
    assertThat(Arrays.copyOfRange(out.array(), 44, 44 + payload.length)).isEqualTo(payload);
    // skb->len counts the Ethernet header of a test run; on the TUN there is none.
    assertThat(counters()).containsExactly(1, ETHERNET + segment.limit());
  }

  @Test
  void bothDirectionsOfAFlowRoundTripToTheOriginalBytes() throws Exception {
    map(flows, APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    map(flows, APP, 7890, SESSION, 5012, FAKE, 443, APP, 40001);
    SplittableRandom random = new SplittableRandom(2);
    for (int i = 0; i < 200; i++) {
      byte[] payload = new byte[random.nextInt(0, 1400)];
      random.nextBytes(payload);
      ByteBuffer reply =
          Packets.tcp(
              APP, 7890, SESSION, 5012, 0x10, random.nextInt(), random.nextInt(), payload, 0);
      assertRedirected(reply, "case " + i, FAKE, 443, APP, 40001);
    }
  }

  /** The relay listener's SYN-ACK to a mapped SYN: the connect() need not wait for the TUN. */
  @Test
  void aSynAckOfAMappedTupleIsRewritten() throws Exception {
    map(flows, APP, 7890, SESSION, 5012, FAKE, 443, APP, 40001);
    map6(flows6, APP6, 7890, SESSION6, 5012, FAKE6, 443, APP6, 40001);
    assertRedirected(
        Packets.tcp(APP, 7890, SESSION, 5012, 0x12), "a SYN-ACK", FAKE, 443, APP, 40001);
    assertRedirected(
        Packets6.tcp(APP6, 7890, SESSION6, 5012, 0x12), "an IPv6 SYN-ACK", FAKE6, 443, APP6, 40001);
    assertThat(counters()[0]).isEqualTo(2);
  }

  @Test
  void whatTheProgramMustNotTouchPassesUnchanged() throws Exception {
    map(flows, APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    assertPassesUnchanged(Packets.tcp(APP, 40001, FAKE, 443, 0x02), "a SYN of a mapped tuple");
    assertPassesUnchanged(Packets.tcp(APP, 40002, FAKE, 443, 0x10), "an unmapped tuple");
    assertPassesUnchanged(
        Packets.tcp(APP, 40001, FAKE, 443, 0x10, 1, 1, new byte[8], 1), "IP options");
    ByteBuffer fragment = Packets.tcp(APP, 40001, FAKE, 443, 0x10);
    fragment.putShort(6, (short) 0x2000); // more fragments
    assertPassesUnchanged(fragment, "a first fragment");
    ByteBuffer datagram = Packets.udp(APP, 40001, FAKE, 443, new byte[20], false);
    assertPassesUnchanged(datagram, "UDP of a tuple TCP maps");
    ByteBuffer truncated = Packets.tcp(APP, 40001, FAKE, 443, 0x10).limit(30);
    assertPassesUnchanged(truncated, "a segment shorter than its headers");
    assertThat(counters()).containsExactly(0, 0);
  }

  @Test
  void aMappedIpv6SegmentIsRewrittenWithACorrectChecksumAndRedirected() throws Exception {
    map6(flows6, APP6, 40001, FAKE6, 443, SESSION6, 5012, APP6, 7890);
    byte[] payload = new byte[1000];
    new SplittableRandom(3).nextBytes(payload);
    ByteBuffer segment = Packets6.tcp(APP6, 40001, FAKE6, 443, 0x18, 77, 99, payload, 0);

    ByteBuffer out = assertRedirected(segment, "a mapped segment", SESSION6, 5012, APP6, 7890);
    assertThat(Arrays.copyOfRange(out.array(), 64, 64 + payload.length)).isEqualTo(payload);
    assertThat(counters()).containsExactly(1, ETHERNET + segment.limit());
  }

  @Test
  void bothDirectionsOfAnIpv6FlowKeepValidChecksumsForRandomSegments() throws Exception {
    map6(flows6, APP6, 40001, FAKE6, 443, SESSION6, 5012, APP6, 7890);
    map6(flows6, APP6, 7890, SESSION6, 5012, FAKE6, 443, APP6, 40001);
    SplittableRandom random = new SplittableRandom(4);
    assertIpv6FlowRoundTrips(
        443, 0, random, (s, sp, d, dp, p) -> Packets6.tcp(s, sp, d, dp, 0x10, 7, 1, p, 0));
  }

  /** Builds an IPv6 packet of the flow under test. */
  interface Ipv6Packet {
    ByteBuffer of(long[] src, int sport, long[] dst, int dport, byte[] payload);
  }

  /**
   * 200 random packets of the flow {@code APP6:40001 -> FAKE6:port}, mapped both ways to {@code
   * SESSION6:5012 -> APP6:7890}, forward or reply: each leaves rewritten with a valid checksum.
   */
  void assertIpv6FlowRoundTrips(int port, int minPayload, SplittableRandom random, Ipv6Packet make)
      throws Exception {
    for (int i = 0; i < 200; i++) {
      byte[] payload = new byte[random.nextInt(minPayload, 1400)];
      random.nextBytes(payload);
      boolean reply = random.nextBoolean();
      ByteBuffer packet =
          reply
              ? make.of(APP6, 7890, SESSION6, 5012, payload)
              : make.of(APP6, 40001, FAKE6, port, payload);
      assertRedirected(
          packet,
          "case " + i,
          reply ? FAKE6 : SESSION6,
          reply ? port : 5012,
          APP6,
          reply ? 40001 : 7890);
    }
  }

  /** A BIG TCP segment: TCP after a hop-by-hop jumbo header, rewritten all the same. */
  @Test
  void anIpv6JumbogramIsRewrittenToo() throws Exception {
    map6(flows6, APP6, 40001, FAKE6, 443, SESSION6, 5012, APP6, 7890);
    byte[] payload = new byte[1200];
    new SplittableRandom(5).nextBytes(payload);
    ByteBuffer jumbo =
        Packets6.jumbo(Packets6.tcp(APP6, 40001, FAKE6, 443, 0x10, 7, 8, payload, 0));
    assertThat(Packets6.checksumValid(jumbo, 0)).isTrue();

    ByteBuffer out = assertRedirected(jumbo, "a jumbogram", SESSION6, 5012, APP6, 7890);
    assertThat(out.get(6)).as("still a jumbogram").isZero();
  }

  @Test
  void ipv6ThatTheProgramMustNotTouchPassesUnchanged() throws Exception {
    map6(flows6, APP6, 40001, FAKE6, 443, SESSION6, 5012, APP6, 7890);
    assertPassesUnchanged(Packets6.tcp(APP6, 40001, FAKE6, 443, 0x02), "a SYN of a mapped tuple");
    assertPassesUnchanged(Packets6.tcp(APP6, 40002, FAKE6, 443, 0x10), "an unmapped tuple");
    assertPassesUnchanged(
        Packets6.tcp(APP6, 40001, FAKE6, 443, 0x10, 1, 1, new byte[8], 1), "an extension header");
    assertPassesUnchanged(
        Packets6.udp(APP6, 40001, FAKE6, 443, new byte[20], 0), "UDP of a tuple TCP maps");
    assertPassesUnchanged(
        Packets6.tcp(APP6, 40001, FAKE6, 443, 0x10).limit(50), "shorter than its headers");
    assertThat(counters()).containsExactly(0, 0);
  }

  @Test
  void bothDirectionsOfAMappedUdpFlowAreRewrittenWithCorrectChecksums() throws Exception {
    map(udp, APP, 40001, FAKE, 5201, SESSION, 5012, APP, 7890);
    map(udp, APP, 7890, SESSION, 5012, FAKE, 5201, APP, 40001);
    SplittableRandom random = new SplittableRandom(6);
    for (int i = 0; i < 200; i++) {
      byte[] payload = new byte[random.nextInt(12, 1400)];
      random.nextBytes(payload);
      boolean reply = random.nextBoolean();
      ByteBuffer datagram =
          reply
              ? Packets.udp(APP, 7890, SESSION, 5012, payload, false)
              : Packets.udp(APP, 40001, FAKE, 5201, payload, false);
      ByteBuffer out =
          assertRedirected(
              datagram,
              "case " + i,
              reply ? FAKE : SESSION,
              reply ? 5201 : 5012,
              APP,
              reply ? 40001 : 7890);
      int computed = Packets.udpChecksum(out, 0);
      assertThat(Packets.storedUdpChecksum(out, 0))
          .as("case %d", i)
          .isEqualTo(computed == 0 ? 0xffff : computed);
      assertThat(Arrays.copyOfRange(out.array(), 28, out.limit())).isEqualTo(payload);
    }
    assertThat(counters()[0]).isEqualTo(200);
  }

  @Test
  void aUdpDatagramWithoutAChecksumKeepsNone() throws Exception {
    map(udp, APP, 40001, FAKE, 5201, SESSION, 5012, APP, 7890);
    ByteBuffer datagram = Packets.udp(APP, 40001, FAKE, 5201, new byte[100], true);
    ByteBuffer out = assertRedirected(datagram, "no checksum", SESSION, 5012, APP, 7890);
    assertThat(Packets.storedUdpChecksum(out, 0)).isZero();
  }

  @Test
  void udpThatTheProgramMustNotTouchPassesUnchanged() throws Exception {
    map(udp, APP, 40001, FAKE, 5201, SESSION, 5012, APP, 7890);
    map6(udp6, APP6, 40001, FAKE6, 5201, SESSION6, 5012, APP6, 7890);
    assertPassesUnchanged(
        Packets.udp(APP, 40002, FAKE, 5201, new byte[20], false), "an unmapped tuple");
    assertPassesUnchanged(Packets.tcp(APP, 40001, FAKE, 5201, 0x10), "TCP of a tuple UDP maps");
    ByteBuffer fragment = Packets.udp(APP, 40001, FAKE, 5201, new byte[20], false);
    fragment.putShort(6, (short) 0x2000); // more fragments
    assertPassesUnchanged(fragment, "a first fragment");
    assertPassesUnchanged(
        Packets.udp(APP, 40001, FAKE, 5201, new byte[4], false), "a datagram under 40 bytes");
    assertPassesUnchanged(
        Packets6.udp(APP6, 40001, FAKE6, 5201, new byte[20], 1), "IPv6 extension header");
    assertPassesUnchanged(
        Packets6.tcp(APP6, 40001, FAKE6, 5201, 0x10), "IPv6 TCP of a tuple UDP maps");
    assertThat(counters()).containsExactly(0, 0);
  }

  @Test
  void aMappedIpv6UdpDatagramIsRewrittenWithACorrectChecksum() throws Exception {
    map6(udp6, APP6, 40001, FAKE6, 5201, SESSION6, 5012, APP6, 7890);
    map6(udp6, APP6, 7890, SESSION6, 5012, FAKE6, 5201, APP6, 40001);
    // From 12 payload bytes up: shorter ones are under the bounds checked for TCP, and pass.
    assertIpv6FlowRoundTrips(
        5201, 12, new SplittableRandom(7), (s, sp, d, dp, p) -> Packets6.udp(s, sp, d, dp, p, 0));
  }

  /** A forwarded flow: NAT'ed to its real destination, which the kernel forwards to. */
  @Test
  void bothDirectionsOfAForwardedFlowAreRewrittenWithCorrectChecksumsAndRedirected()
      throws Exception {
    forward(UP, APP, 40001, FAKE, 443, SESSION, 40001, REMOTE, 443);
    forward(DOWN, REMOTE, 443, SESSION, 40001, FAKE, 443, APP, 40001);
    SplittableRandom random = new SplittableRandom(8);
    int bytes = 0;
    long[] payloads = new long[2];
    long[] segments = new long[2];
    for (int i = 0; i < 200; i++) {
      byte[] payload = new byte[random.nextInt(0, 1400)];
      random.nextBytes(payload);
      boolean reply = random.nextBoolean();
      ByteBuffer segment =
          reply
              ? Packets.tcp(REMOTE, 443, SESSION, 40001, 0x18, 5, 6, payload, 0)
              : Packets.tcp(APP, 40001, FAKE, 443, 0x18, 7, 8, payload, 0);
      ByteBuffer out =
          reply
              ? assertRedirected(segment, "case " + i, FAKE, 443, APP, 40001)
              : assertRedirected(segment, "case " + i, SESSION, 40001, REMOTE, 443);
      assertThat(Arrays.copyOfRange(out.array(), 44, out.limit())).isEqualTo(payload);
      bytes += ETHERNET + segment.limit();
      payloads[reply ? 1 : 0] += payload.length;
      segments[reply ? 1 : 0]++;
    }
    assertThat(counters()).containsExactly(200, bytes);
    assertThat(forwardedBytes(APP, 40001, FAKE, 443)).isEqualTo(payloads[0]);
    assertThat(forwardedBytes(REMOTE, 443, SESSION, 40001)).isEqualTo(payloads[1]);
    assertThat(counters(1 + UP)).containsExactly(segments[0], payloads[0]);
    assertThat(counters(1 + DOWN)).containsExactly(segments[1], payloads[1]);
  }

  /** A header that claims more than the segment holds adds nothing (not a negative count). */
  @Test
  void aForwardedSegmentCountsItsPayloadOnlyWhenItsHeaderFits() throws Exception {
    forward(UP, APP, 40001, FAKE, 443, SESSION, 40001, REMOTE, 443);
    ByteBuffer options = Packets.tcp(APP, 40001, FAKE, 443, 0x18, 7, 8, new byte[100], 0);
    options.put(32, (byte) 0x80); // a 32-byte header (not 24): 92 bytes of payload
    redirected(options, "options");
    ByteBuffer tooLong = Packets.tcp(APP, 40001, FAKE, 443, 0x10, 7, 8, new byte[10], 0);
    tooLong.put(32, (byte) 0xf0); // a 60-byte header in a 34-byte segment
    redirected(tooLong, "a header longer than the segment");
    assertThat(forwardedBytes(APP, 40001, FAKE, 443)).isEqualTo(92);
    assertThat(counters(1 + UP)).containsExactly(2, 92);
  }

  /** User space must see a forwarded flow established (its SYN-ACK) and ended. */
  @Test
  void aSynAckOfAForwardedTuplePassesUnchanged() throws Exception {
    forward(DOWN, REMOTE, 443, SESSION, 40001, FAKE, 443, APP, 40001);
    assertPassesUnchanged(Packets.tcp(REMOTE, 443, SESSION, 40001, 0x12), "a SYN-ACK");
    assertRedirected(
        Packets.tcp(REMOTE, 443, SESSION, 40001, 0x10), "an ACK", FAKE, 443, APP, 40001);
  }

  /** User space must see a forwarded flow end, and judge its SYNs. */
  @Test
  void finRstAndSynOfAForwardedTuplePassUnchanged() throws Exception {
    forward(UP, APP, 40001, FAKE, 443, SESSION, 40001, REMOTE, 443);
    // FIN, FIN-ACK, FIN-PSH-ACK, RST, RST-ACK, SYN
    for (int flags : new int[] {0x01, 0x11, 0x19, 0x04, 0x14, 0x02}) {
      ByteBuffer segment = Packets.tcp(APP, 40001, FAKE, 443, flags, 1, 2, new byte[100], 0);
      assertPassesUnchanged(segment, "flags 0x" + Integer.toHexString(flags));
    }
    assertPassesUnchanged(Packets.tcp(APP, 40002, FAKE, 443, 0x10), "a tuple in neither map");
    assertPassesUnchanged(
        Packets.udp(APP, 40001, FAKE, 443, new byte[20], false), "UDP of a forwarded tuple");
    assertThat(counters()).containsExactly(0, 0);
  }

  /** A relayed flow's end shows at the relay's socket: its FIN and RST stay in the kernel. */
  @Test
  void finAndRstOfARelayedTupleAreStillRewritten() throws Exception {
    map(flows, APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    assertRedirected(
        Packets.tcp(APP, 40001, FAKE, 443, 0x11), "a FIN-ACK", SESSION, 5012, APP, 7890);
    assertRedirected(Packets.tcp(APP, 40001, FAKE, 443, 0x04), "a RST", SESSION, 5012, APP, 7890);
    assertThat(counters()[0]).isEqualTo(2);
  }

  /**
   * With an event ring, a forwarded flow's SYN-ACK, FINs and RST stay in the kernel too: each is
   * rewritten like any segment and told to user space as an event, in the order they passed.
   */
  @Test
  void withAnEventRingAForwardedFlowsLifeIsToldAsEventsAndItsSegmentsStayInTheKernel()
      throws Exception {
    try (BpfRingBuffer ring = BpfRingBuffer.create(LibC.getpagesize(), "test_events")) {
      program = withRing(ring);
      forward(UP, APP, 40001, FAKE, 443, SESSION, 40001, REMOTE, 443);
      forward(DOWN, REMOTE, 443, SESSION, 40001, FAKE, 443, APP, 40001);

      assertPassesUnchanged(Packets.tcp(APP, 40001, FAKE, 443, 0x02), "a SYN: user space judges");
      assertRedirected(
          Packets.tcp(REMOTE, 443, SESSION, 40001, 0x12), "a SYN-ACK", FAKE, 443, APP, 40001);
      assertRedirected(
          Packets.tcp(APP, 40001, FAKE, 443, 0x10), "an ACK", SESSION, 40001, REMOTE, 443);
      ByteBuffer finWithData = Packets.tcp(APP, 40001, FAKE, 443, 0x19, 1, 2, new byte[100], 0);
      assertRedirected(finWithData, "a FIN with data", SESSION, 40001, REMOTE, 443);
      assertRedirected(
          Packets.tcp(REMOTE, 443, SESSION, 40001, 0x14), "a RST-ACK", FAKE, 443, APP, 40001);

      assertThat(events(ring))
          .containsExactly(
              "203.0.113.5:443 -> 198.19.0.9:40001 flags 0x12 reply",
              "198.18.0.1:40001 -> 198.18.3.7:443 flags 0x19",
              "203.0.113.5:443 -> 198.19.0.9:40001 flags 0x14 reply");
      assertThat(events(ring)).as("read once").isEmpty();
      assertThat(forwardedBytes(APP, 40001, FAKE, 443)).isEqualTo(100);
    }
  }

  /** When the ring is full, those segments pass to the TUN, as without a ring; none is lost. */
  @Test
  void whenTheRingIsFullAForwardedFlowsFinPassesToTheTun() throws Exception {
    try (BpfRingBuffer ring = BpfRingBuffer.create(LibC.getpagesize(), "test_events")) {
      program = withRing(ring);
      forward(UP, APP, 40001, FAKE, 443, SESSION, 40001, REMOTE, 443);
      ByteBuffer fin = Packets.tcp(APP, 40001, FAKE, 443, 0x11);
      int told = 0;
      for (int i = 0; i < 1000; i++) {
        byte[] frame = frame(fin);
        if (Bpf.testRun(program, frame) != FastPathProgram.REDIRECT) {
          break;
        }
        told++;
      }
      int fits = LibC.getpagesize() / (8 + FastPathProgram.EVENT_SIZE);
      assertThat(told).as("events a one-page ring holds").isEqualTo(fits);
      assertPassesUnchanged(fin, "a FIN while the ring is full");
      assertThat(events(ring)).hasSize(fits);
      assertRedirected(fin, "a FIN once there is room", SESSION, 40001, REMOTE, 443);
      assertThat(events(ring)).hasSize(1);
    }
  }

  int withRing(BpfRingBuffer ring) throws Exception {
    Bpf.closeDescriptor(program);
    return Bpf.loadProgram(
        Bpf.PROG_TYPE_SCHED_CLS,
        FastPathProgram.build(
            ETHERNET,
            flows.fd(),
            flows6.fd(),
            udp.fd(),
            udp6.fd(),
            forwarded.fd(),
            stats.fd(),
            ring.fd()),
        "Dual MIT/GPL",
        "test_fast_ring");
  }

  /** The ring's events as "source -> destination flags 0xNN[ reply]". */
  static List<String> events(BpfRingBuffer ring) {
    List<String> events = new ArrayList<>();
    ring.read(
        (data, at, length) -> {
          assertThat(length).isEqualTo(FastPathProgram.EVENT_SIZE);
          events.add(
              Ipv4.format(data.getInt(at))
                  + ":"
                  + (data.getShort(at + 8) & 0xffff)
                  + " -> "
                  + Ipv4.format(data.getInt(at + 4))
                  + ":"
                  + (data.getShort(at + 10) & 0xffff)
                  + " flags 0x"
                  + Integer.toHexString(data.get(at + 12) & 0xff)
                  + (data.get(at + 13) == DOWN ? " reply" : "")
                  + (data.getShort(at + 14) == 0 ? "" : " (padding not 0)"));
        });
    return events;
  }

  @Test
  void aTupleInBothMapsIsRewrittenAsTheRelayedMapSays() throws Exception {
    map(flows, APP, 40001, FAKE, 443, SESSION, 5012, APP, 7890);
    forward(UP, APP, 40001, FAKE, 443, SESSION, 40001, REMOTE, 443);
    assertRedirected(Packets.tcp(APP, 40001, FAKE, 443, 0x10), "an ACK", SESSION, 5012, APP, 7890);
    assertRedirected(
        Packets.tcp(APP, 40001, FAKE, 443, 0x11), "a FIN-ACK", SESSION, 5012, APP, 7890);
  }

  static void map6(
      BpfMap map,
      long[] src,
      int sport,
      long[] dst,
      int dport,
      long[] nsrc,
      int nsport,
      long[] ndst,
      int ndport) {
    assertThat(map.put(tuple6(src, sport, dst, dport), tuple6(nsrc, nsport, ndst, ndport)))
        .isZero();
  }

  static byte[] tuple6(long[] source, int sourcePort, long[] destination, int destinationPort) {
    return ByteBuffer.allocate(36)
        .putLong(source[0])
        .putLong(source[1])
        .putLong(destination[0])
        .putLong(destination[1])
        .putShort((short) sourcePort)
        .putShort((short) destinationPort)
        .array();
  }

  /**
   * Runs the program on the IPv4 {@code packet}, which it must redirect, rewritten to this tuple
   * with a header checksum and, for TCP, a segment checksum that a full recomputation agrees with;
   * returns the packet it wrote. A UDP test checks the datagram's checksum itself: one sent without
   * a checksum must keep none.
   */
  ByteBuffer assertRedirected(
      ByteBuffer packet, String what, int src, int sport, int dst, int dport) throws Exception {
    ByteBuffer out = redirected(packet, what);
    assertThat(Packets.srcAddress(out, 0)).as(what).isEqualTo(src);
    assertThat(Packets.dstAddress(out, 0)).as(what).isEqualTo(dst);
    assertThat(Packets.srcPort(out, 0)).as(what).isEqualTo(sport);
    assertThat(Packets.dstPort(out, 0)).as(what).isEqualTo(dport);
    assertThat(Packets.storedIpChecksum(out, 0)).as(what).isEqualTo(Packets.ipChecksum(out, 0));
    if (out.get(9) == 6) {
      assertThat(Packets.storedTcpChecksum(out, 0)).as(what).isEqualTo(Packets.tcpChecksum(out, 0));
    }
    return out;
  }

  /**
   * Runs the program on the IPv6 {@code packet}, which it must redirect, rewritten to this tuple
   * with a transport checksum that a full recomputation agrees with; returns the packet it wrote.
   */
  ByteBuffer assertRedirected(
      ByteBuffer packet, String what, long[] src, int sport, long[] dst, int dport)
      throws Exception {
    ByteBuffer out = redirected(packet, what);
    assertThat(Packets6.src(out, 0)).as(what).containsExactly(src);
    assertThat(Packets6.dst(out, 0)).as(what).containsExactly(dst);
    assertThat(Packets6.srcPort(out, 0)).as(what).isEqualTo(sport);
    assertThat(Packets6.dstPort(out, 0)).as(what).isEqualTo(dport);
    assertThat(Packets6.checksumValid(out, 0)).as(what).isTrue();
    return out;
  }

  /** The program's output for {@code packet}, which it must redirect. */
  ByteBuffer redirected(ByteBuffer packet, String what) throws Exception {
    byte[] frame = frame(packet);
    assertThat(Bpf.testRun(program, frame)).as(what).isEqualTo(FastPathProgram.REDIRECT);
    return ipPart(frame);
  }

  void assertPassesUnchanged(ByteBuffer packet, String what) throws Exception {
    byte[] frame = frame(packet);
    byte[] before = frame.clone();
    assertThat(Bpf.testRun(program, frame)).as(what).isEqualTo(FastPathProgram.PASS);
    assertThat(frame).as(what).isEqualTo(before);
  }

  static void map(
      BpfMap map,
      int src,
      int sport,
      int dst,
      int dport,
      int nsrc,
      int nsport,
      int ndst,
      int ndport) {
    assertThat(map.put(tuple(src, sport, dst, dport), tuple(nsrc, nsport, ndst, ndport))).isZero();
  }

  static final int UP = FastPathProgram.TOWARD_DESTINATION;
  static final int DOWN = FastPathProgram.TOWARD_APP;

  /** Maps a forwarded tuple, in {@code direction}, its payload count at 0. */
  void forward(
      int direction,
      int src,
      int sport,
      int dst,
      int dport,
      int nsrc,
      int nsport,
      int ndst,
      int ndport) {
    byte[] value =
        ByteBuffer.allocate(FastPathProgram.FORWARDED_VALUE_SIZE)
            .put(tuple(nsrc, nsport, ndst, ndport))
            .order(ByteOrder.nativeOrder())
            .putInt(direction)
            .array();
    assertThat(forwarded.put(tuple(src, sport, dst, dport), value)).isZero();
  }

  /** The payload bytes the program counted for a forwarded tuple. */
  long forwardedBytes(int src, int sport, int dst, int dport) {
    byte[] value = new byte[FastPathProgram.FORWARDED_VALUE_SIZE];
    assertThat(forwarded.get(tuple(src, sport, dst, dport), value)).isTrue();
    return ByteBuffer.wrap(value)
        .order(ByteOrder.nativeOrder())
        .getLong(FastPathProgram.FORWARDED_BYTES);
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
    boolean v6 = (packet.get(0) & 0xf0) == 0x60;
    frame[12] = (byte) (v6 ? 0x86 : 0x08); // EtherType IPv6 or IPv4
    frame[13] = (byte) (v6 ? 0xdd : 0x00);
    for (int i = 0; i < packet.limit(); i++) {
      frame[ETHERNET + i] = packet.get(i);
    }
    return frame;
  }

  static ByteBuffer ipPart(byte[] frame) {
    return ByteBuffer.wrap(Arrays.copyOfRange(frame, ETHERNET, frame.length));
  }

  long[] counters() {
    return counters(0);
  }

  /** The stats map's entry {@code index}, summed over CPUs. */
  long[] counters(int index) {
    byte[] values = new byte[stats.valueSize()];
    byte[] key = ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(index).array();
    assertThat(stats.get(key, values)).isTrue();
    return FastPathProgram.sumStats(values);
  }
}
