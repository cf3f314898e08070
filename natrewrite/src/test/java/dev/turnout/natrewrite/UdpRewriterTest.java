package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** UDP through the NAT: rewriting, checksums, idle expiry, the entry cap and the relay lookup. */
class UdpRewriterTest {
  static final int TUN = ip("198.18.0.1");
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");
  static final int RELAY_PORT = 7890;

  final ManualTimeSource ticker = new ManualTimeSource();

  NatTable table(int maxIdle) {
    return NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
        .udpTimeout(Duration.ofSeconds(60))
        .dnsTimeout(Duration.ofSeconds(10))
        .maxIdleEntries(maxIdle)
        .timeSource(ticker)
        .build();
  }

  static PacketRewriter rewriter(NatTable table) {
    return new PacketRewriter(
        Ipv4.address(TUN), RELAY_PORT, ip("198.18.0.0"), ip("198.19.255.255"), table);
  }

  static int udpPort(ByteBuffer b, int offset) {
    return b.getShort(20 + offset) & 0xffff;
  }

  static void assertChecksumsValid(ByteBuffer b) {
    assertThat(Packets.storedIpChecksum(b, 0)).isEqualTo(Packets.ipChecksum(b, 0));
    int stored = Packets.storedUdpChecksum(b, 0);
    if (stored != 0) {
      int full = Packets.udpChecksum(b, 0);
      assertThat(stored).isEqualTo(full == 0 ? 0xffff : full);
    }
  }

  static ByteBuffer datagram(int src, int sport, int dst, int dport, String payload) {
    return Packets.udp(src, sport, dst, dport, payload.getBytes(), false);
  }

  @Test
  void forwardGoesToTheRelayAndTheReplyComesBackFromTheFakeAddress() {
    NatTable t = table(100);
    PacketRewriter r = rewriter(t);
    ByteBuffer p = datagram(APP, 40000, FAKE, 5353, "hello");

    assertThat(r.rewrite(p)).isEqualTo(Verdict.FORWARD);

    int session = Packets.srcAddress(p, 0);
    int sessionPort = udpPort(p, 0);
    assertThat(t.inPool(session)).isTrue();
    assertThat(Packets.dstAddress(p, 0)).isEqualTo(TUN);
    assertThat(udpPort(p, 2)).isEqualTo(RELAY_PORT);
    assertChecksumsValid(p);
    InetSocketAddress peer = new InetSocketAddress(Ipv4.address(session), sessionPort);
    NatFlow flow = t.udpFlow(peer).orElseThrow();
    assertThat(flow.source()).isEqualTo(new InetSocketAddress(Ipv4.address(APP), 40000));
    assertThat(flow.destination()).isEqualTo(new InetSocketAddress(Ipv4.address(FAKE), 5353));
    assertThat(t.claim(peer)).as("a UDP session is not a TCP one").isEmpty();

    ByteBuffer reply = datagram(TUN, RELAY_PORT, session, sessionPort, "world!");
    assertThat(r.rewrite(reply)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.srcAddress(reply, 0)).isEqualTo(FAKE);
    assertThat(udpPort(reply, 0)).isEqualTo(5353);
    assertThat(Packets.dstAddress(reply, 0)).isEqualTo(APP);
    assertThat(udpPort(reply, 2)).isEqualTo(40000);
    assertChecksumsValid(reply);

    ByteBuffer again = datagram(APP, 40000, FAKE, 5353, "again");
    r.rewrite(again);
    assertThat(Packets.srcAddress(again, 0)).isEqualTo(session);
    assertThat(udpPort(again, 0)).isEqualTo(sessionPort);
    assertThat(t.idleEntries()).isEqualTo(1);
  }

  @Test
  void aZeroChecksumMeansNoneAndStaysZeroBothWays() {
    NatTable t = table(100);
    PacketRewriter r = rewriter(t);
    ByteBuffer p = Packets.udp(APP, 40000, FAKE, 9999, new byte[] {1, 2, 3}, true);
    assertThat(r.rewrite(p)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.storedUdpChecksum(p, 0)).isZero();
    assertThat(Packets.storedIpChecksum(p, 0)).isEqualTo(Packets.ipChecksum(p, 0));
    ByteBuffer reply =
        Packets.udp(TUN, RELAY_PORT, Packets.srcAddress(p, 0), udpPort(p, 0), new byte[0], true);
    assertThat(r.rewrite(reply)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.storedUdpChecksum(reply, 0)).isZero();
  }

  @Test
  void tcpAndUdpWithTheSameEndpointsAreSeparateFlows() {
    NatTable t = table(100);
    PacketRewriter r = rewriter(t);
    ByteBuffer u = datagram(APP, 40000, FAKE, 443, "x");
    ByteBuffer s = Packets.tcp(APP, 40000, FAKE, 443, TcpHeader.SYN);
    r.rewrite(u);
    r.rewrite(s);
    assertThat(t.activeEntries()).isEqualTo(2);
    // Same pair is allowed (the protocols have separate session spaces), different entries.
    ByteBuffer reply = datagram(TUN, RELAY_PORT, Packets.srcAddress(u, 0), udpPort(u, 0), "r");
    assertThat(r.rewrite(reply)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.srcAddress(reply, 0)).isEqualTo(FAKE);
  }

  @Test
  void propertyChecksumsMatchFullRecomputationAfterEveryRewrite() {
    SplittableRandom random = new SplittableRandom(0x756470L);
    NatTable t = table(100_000);
    PacketRewriter r = rewriter(t);
    for (int i = 0; i < 3000; i++) {
      int src = random.nextInt();
      int dst = ip("198.18.0.0") + random.nextInt(2, 0x10000);
      byte[] payload = new byte[random.nextInt(0, 400)];
      random.nextBytes(payload);
      ByteBuffer p =
          Packets.udp(
              src,
              random.nextInt(1, 65536),
              dst,
              random.nextInt(1, 65536),
              payload,
              random.nextInt(10) == 0);
      boolean zero = Packets.storedUdpChecksum(p, 0) == 0;
      assertThat(r.rewrite(p)).as("case %d", i).isEqualTo(Verdict.FORWARD);
      assertChecksumsValid(p);
      assertThat(Packets.storedUdpChecksum(p, 0) == 0).as("case %d", i).isEqualTo(zero);
      byte[] back = new byte[random.nextInt(0, 400)];
      random.nextBytes(back);
      ByteBuffer reply =
          Packets.udp(TUN, RELAY_PORT, Packets.srcAddress(p, 0), udpPort(p, 0), back, false);
      assertThat(r.rewrite(reply)).as("case %d", i).isEqualTo(Verdict.FORWARD);
      assertThat(Packets.srcAddress(reply, 0)).as("case %d", i).isEqualTo(dst);
      assertThat(Packets.dstAddress(reply, 0)).as("case %d", i).isEqualTo(src);
      assertChecksumsValid(reply);
    }
  }

  @Test
  void entriesExpireWhenIdleAndDnsSoonerThanOthers() {
    NatTable t = table(100);
    PacketRewriter r = rewriter(t);
    ByteBuffer dns = datagram(APP, 40000, FAKE, 53, "q");
    ByteBuffer game = datagram(APP, 40001, FAKE, 27015, "g");
    r.rewrite(dns);
    r.rewrite(game);
    InetSocketAddress gamePeer =
        new InetSocketAddress(Ipv4.address(Packets.srcAddress(game, 0)), udpPort(game, 0));

    ticker.advance(Duration.ofSeconds(9));
    assertThat(t.expire()).isZero();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(t.expire()).isEqualTo(1); // the DNS entry
    ticker.advance(Duration.ofSeconds(40));
    r.rewrite(datagram(APP, 40001, FAKE, 27015, "keepalive")); // touches: 50 s
    ticker.advance(Duration.ofSeconds(59));
    assertThat(t.expire()).isZero();
    // Still there (asked without udpFlow, which counts as the relay seeing a datagram)
    assertThat(t.idleEntries()).isEqualTo(1);
    ticker.advance(Duration.ofSeconds(1));
    assertThat(t.expire()).isEqualTo(1);
    assertThat(t.udpFlow(gamePeer)).isEmpty();
    assertThat(t.idleEntries()).isZero();
    assertThat(r.stats().idleEntriesExpired()).isEqualTo(2);
  }

  @Test
  void repliesAlsoKeepAnEntryAlive() {
    NatTable t = table(100);
    PacketRewriter r = rewriter(t);
    ByteBuffer p = datagram(APP, 40000, FAKE, 9000, "x");
    r.rewrite(p);
    for (int i = 0; i < 5; i++) {
      ticker.advance(Duration.ofSeconds(30));
      ByteBuffer reply = datagram(TUN, RELAY_PORT, Packets.srcAddress(p, 0), udpPort(p, 0), "y");
      assertThat(r.rewrite(reply)).isEqualTo(Verdict.FORWARD);
      assertThat(t.expire()).isZero();
    }
  }

  @Test
  void theCapEvictsTheLeastRecentlyUsedAndCountsIt() {
    NatTable t = table(32); // batches of 2
    PacketRewriter r = rewriter(t);
    List<ByteBuffer> first = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      ByteBuffer p = datagram(APP, 10000 + i, FAKE, 9000, "x");
      r.rewrite(p);
      first.add(p);
      ticker.advance(Duration.ofMillis(10));
    }
    // Flow 0 is the oldest but is used again now; flows 1 and 2 become the least recently used.
    r.rewrite(datagram(APP, 10000, FAKE, 9000, "x"));
    ticker.advance(Duration.ofMillis(10));

    r.rewrite(datagram(APP, 20000, FAKE, 9000, "new"));

    assertThat(t.idleEntries()).isEqualTo(31);
    assertThat(r.stats().idleEntriesEvicted()).isEqualTo(2);
    assertThat(flowOf(t, first.get(0))).isPresent();
    assertThat(flowOf(t, first.get(1))).isEmpty();
    assertThat(flowOf(t, first.get(2))).isEmpty();
    assertThat(flowOf(t, first.get(3))).isPresent();
  }

  private static Optional<NatFlow> flowOf(NatTable t, ByteBuffer rewritten) {
    return t.udpFlow(
        new InetSocketAddress(
            Ipv4.address(Packets.srcAddress(rewritten, 0)), udpPort(rewritten, 0)));
  }

  @Test
  void aDatagramToTheNatPoolNotFromTheRelayPortIsDropped() {
    NatTable t = table(100);
    PacketRewriter r = rewriter(t);
    ByteBuffer p = datagram(APP, 40000, FAKE, 9000, "x");
    r.rewrite(p);
    ByteBuffer wrongPort = datagram(TUN, 1234, Packets.srcAddress(p, 0), udpPort(p, 0), "y");
    assertThat(r.rewrite(wrongPort)).isEqualTo(Verdict.DROP);
    ByteBuffer unknown = datagram(TUN, RELAY_PORT, ip("198.19.9.9"), 4444, "y");
    assertThat(r.rewrite(unknown)).isEqualTo(Verdict.DROP);
    assertThat(r.stats().dropped(DropReason.NOT_FROM_RELAY)).isEqualTo(1);
    assertThat(r.stats().dropped(DropReason.NO_ENTRY)).isEqualTo(1);
  }

  @Test
  void aTruncatedUdpLengthIsMalformed() {
    PacketRewriter r = rewriter(table(100));
    ByteBuffer p = datagram(APP, 40000, FAKE, 9000, "xyz");
    p.putShort(24, (short) 100);
    assertThat(r.rewrite(p)).isEqualTo(Verdict.DROP);
    assertThat(r.stats().dropped(DropReason.MALFORMED)).isEqualTo(1);
  }
}
