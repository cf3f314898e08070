package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets6.ip6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.testing.Fuzz;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A stream of IPv6 packets through one rewriter with state, as {@link PacketFuzzTest} sends IPv4:
 * valid TCP, UDP and ICMPv6 packets (new flows, the relay's replies, echo requests, packet-too-big
 * quoting a flow) with destination-options and hop-by-hop headers, fragments and routing headers,
 * mixed with mutations and truncations of them, all through {@link PacketRewriter#rewrite}, the TUN
 * reader's entry point, by {@link RewriterFuzz}. Nothing thrown escapes; every packet is counted
 * once, and a drop under one reason; what is written back has checksums a full recomputation agrees
 * with whenever the packet came in with valid ones; and after every thousand packets of garbage a
 * new flow is still rewritten exactly, both ways.
 */
class Ipv6PacketFuzzTest {
  private static final long SEED = 0x7475726e3666L;
  private static final long[] TUN = Ipv6RewriterTest.TUN;
  private static final long[] FAKE = Ipv6RewriterTest.FAKE;
  private static final int RELAY_PORT = Ipv6RewriterTest.RELAY_PORT;
  private static final int HOP_BY_HOP = 0;
  private static final int ROUTING = 43;
  private static final int FRAGMENT = 44;

  @Test
  void aStreamOfValidAndMutatedV6PacketsNeverThrowsAndIsAccountedForAndRewrittenRight() {
    ManualTimeSource clock = new ManualTimeSource();
    NatTable table =
        NatTable.builder(Packets.ip("198.19.0.1"), Packets.ip("198.19.255.254"), 1024, 65535)
            .ipv6Pool(
                Ipv6RewriterTest.address(Ipv6RewriterTest.SESSION),
                65536,
                Ipv6RewriterTest.address(TUN))
            .maxUnclaimed(64)
            .maxIdleEntries(128)
            .timeSource(clock)
            .build();
    PacketRewriter rewriter =
        Ipv6RewriterTest.fakeOnly(table)
            .flowFilter(
                (protocol, source, sourcePort, destination, port) ->
                    port % 7 == 0
                        ? FlowFilter.Judgement.REJECT
                        : port % 11 == 0
                            ? FlowFilter.Judgement.DROP
                            : FlowFilter.Judgement.UNDECIDED)
            .build();
    int cases = Fuzz.iterations(100_000);
    RewriterFuzz.run(
        SEED,
        cases,
        rewriter,
        new RewriterFuzz.Family() {
          @Override
          public RewriterFuzz.Input valid(SplittableRandom random, List<byte[]> recent) {
            byte[] packet = validPacket(random, recent);
            return switch (random.nextInt(12)) {
              case 0 ->
                  new RewriterFuzz.Input(
                      withExtension(packet, FRAGMENT, random), DropReason.FRAGMENT);
              case 1 ->
                  new RewriterFuzz.Input(
                      withExtension(packet, ROUTING, random), DropReason.IPV6_EXTENSION);
              case 2 -> new RewriterFuzz.Input(withExtension(packet, HOP_BY_HOP, random), null);
              default -> new RewriterFuzz.Input(packet, null);
            };
          }

          @Override
          public Predicate<ByteBuffer> checksumsAfter(ByteBuffer in) {
            return Packets6.checksumValid(in, 0) ? out -> Packets6.checksumValid(out, 0) : null;
          }

          @Override
          public void after(int i, SplittableRandom random) {
            if (i % 1000 == 999) {
              clock.advance(Duration.ofMinutes(2)); // what was never claimed expires
              table.expire();
              assertStillRewrites(rewriter, 1024 + (i / 1000) % 60_000, i);
            }
          }
        });
    NatStats stats = rewriter.stats();
    System.out.println("Ipv6PacketFuzzTest: " + cases + " packets: " + stats);
    // The stream reached every outcome, not only the first check that refuses garbage.
    assertThat(stats.forwarded()).isGreaterThan(cases / 10);
    assertThat(stats.replied()).isPositive();
    assertThat(stats.rejectedFlows()).isPositive();
    for (DropReason reason :
        List.of(
            DropReason.MALFORMED,
            DropReason.FRAGMENT,
            DropReason.IPV6_EXTENSION,
            DropReason.OUTSIDE_RANGE,
            DropReason.NO_ENTRY)) {
      assertThat(stats.dropped(reason)).as("%s", reason).isPositive();
    }
  }

  /** A new flow from this host and the relay's answer, both rewritten exactly. */
  private static void assertStillRewrites(PacketRewriter rewriter, int port, int i) {
    ByteBuffer syn = Packets6.tcp(TUN, port, FAKE, 443, TcpHeader.SYN, 7, 0, new byte[5], 1);
    boolean forward =
        rewriter.rewrite(syn) == Verdict.FORWARD
            && Arrays.equals(Packets6.dst(syn, 0), TUN)
            && Packets6.dstPort(syn, 0) == RELAY_PORT
            && Packets6.checksumValid(syn, 0);
    ByteBuffer reply =
        Packets6.tcp(
            TUN,
            RELAY_PORT,
            Packets6.src(syn, 0),
            Packets6.srcPort(syn, 0),
            TcpHeader.SYN | TcpHeader.ACK,
            9,
            8,
            new byte[0],
            0);
    boolean back =
        forward
            && rewriter.rewrite(reply) == Verdict.FORWARD
            && Arrays.equals(Packets6.src(reply, 0), FAKE)
            && Packets6.srcPort(reply, 0) == 443
            && Arrays.equals(Packets6.dst(reply, 0), TUN)
            && Packets6.dstPort(reply, 0) == port
            && Packets6.checksumValid(reply, 0);
    if (!back) {
      throw new AssertionError(
          Fuzz.where(SEED, i) + ": a new flow after the garbage is not rewritten right");
    }
  }

  /** A well-formed packet: a new or known flow, a relay's reply, an echo, a packet-too-big. */
  private static byte[] validPacket(SplittableRandom r, List<byte[]> recent) {
    long[] source =
        r.nextInt(4) == 0 ? ip6("2001:db8:5::" + Integer.toHexString(r.nextInt(1, 65536))) : TUN;
    long[] destination =
        r.nextBoolean() ? FAKE : new long[] {FAKE[0], 2 + (r.nextLong() >>> 2)}; // fake range
    if (r.nextInt(8) == 0) {
      destination = ip6("2001:db8:9::" + Integer.toHexString(r.nextInt(1, 65536))); // outside it
    }
    int sport = 40_000 + r.nextInt(64);
    int dport = new int[] {443, 53, 7, 11, 3478, 80}[r.nextInt(6)];
    int extensions = r.nextInt(4);
    ByteBuffer b =
        switch (r.nextInt(6)) {
          case 0 -> Packets6.tcp(source, sport, destination, dport, TcpHeader.SYN);
          case 1 ->
              Packets6.tcp(
                  source,
                  sport,
                  destination,
                  dport,
                  TcpHeader.ACK,
                  r.nextInt(),
                  r.nextInt(),
                  Fuzz.bytes(r, r.nextInt(64)),
                  extensions);
          case 2 ->
              Packets6.udp(
                  source, sport, destination, dport, Fuzz.bytes(r, r.nextInt(64)), extensions);
          case 3 -> Packets6.echoRequest(source, destination, r.nextInt(65536), 1, new byte[8]);
          case 4 -> {
            ByteBuffer quoted = Packets6.tcp(destination, dport, source, sport, TcpHeader.ACK);
            byte[] q = new byte[quoted.limit()];
            quoted.get(0, q);
            yield Packets6.icmp(ip6("2001:db8:1::1"), source, 2, 0, 1280, q); // packet too big
          }
          default -> {
            if (recent.isEmpty()) {
              yield Packets6.tcp(source, sport, destination, dport, TcpHeader.SYN);
            }
            // A reply from the relay to a session address that was handed out.
            ByteBuffer e = ByteBuffer.wrap(recent.get(r.nextInt(recent.size())));
            long[] session = Packets6.src(e, 0);
            boolean udp = Packets6.protocol(e, 0) == Packets6.UDP;
            int l4 = Packets6.l4(e, 0);
            int sessionPort = e.limit() >= l4 + 4 ? Packets6.srcPort(e, 0) : 1024;
            yield udp
                ? Packets6.udp(TUN, RELAY_PORT, session, sessionPort, Fuzz.bytes(r, 8), 0)
                : Packets6.tcp(
                    TUN, RELAY_PORT, session, sessionPort, TcpHeader.ACK | TcpHeader.SYN);
          }
        };
    byte[] out = new byte[b.limit()];
    b.get(0, out);
    return out;
  }

  /**
   * {@code packet} with one more 8-byte extension header right after the fixed header: a fragment
   * (first or later), a routing header, or hop-by-hop options (PadN). The upper layer and its
   * checksum stay as they were.
   */
  private static byte[] withExtension(byte[] packet, int type, SplittableRandom r) {
    byte[] out = new byte[packet.length + 8];
    System.arraycopy(packet, 0, out, 0, 40);
    System.arraycopy(packet, 40, out, 48, packet.length - 40);
    out[40] = packet[6];
    out[6] = (byte) type;
    ByteBuffer b = ByteBuffer.wrap(out);
    b.putShort(4, (short) ((b.getShort(4) & 0xffff) + 8));
    switch (type) {
      case FRAGMENT ->
          b.putShort(42, (short) (r.nextInt(4) << 3 | r.nextInt(2))).putInt(44, r.nextInt());
      case ROUTING -> {
        out[42] = (byte) r.nextInt(5); // routing type
        out[43] = (byte) r.nextInt(3); // segments left
      }
      default -> {
        out[42] = 1; // PadN of 4 bytes
        out[43] = 4;
      }
    }
    return out;
  }
}
