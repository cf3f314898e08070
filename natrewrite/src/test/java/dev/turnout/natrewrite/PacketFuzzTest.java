package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.testing.Fuzz;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/**
 * A stream of IPv4 packets through one rewriter with state — a NAT table that fills and expires,
 * DNS hijack, a flow filter that rejects and drops, only this host starting flows — mixing valid
 * packets of every kind (new and known flows both ways, echo requests) with mutations of them.
 * Through {@link RewriterFuzz}: nothing thrown escapes; every packet is counted once, under its
 * verdict; whatever is written back has checksums that a full recomputation agrees with whenever
 * the packet came in with valid ones.
 */
class PacketFuzzTest {
  private static final long SEED = 0x9ac7e75L;
  private static final int TUN = ip("198.18.0.1");
  private static final int HOST = ip("203.0.113.2");

  @Test
  void aStreamOfValidAndMutatedPacketsNeverThrowsAndKeepsChecksumsRight() {
    ManualTimeSource clock = new ManualTimeSource();
    NatTable table =
        NatTable.builder(ip("198.19.0.1"), ip("198.19.0.8"), 1024, 1100)
            .maxUnclaimed(64)
            .maxIdleEntries(128)
            .timeSource(clock)
            .build();
    PacketRewriter rewriter =
        PacketRewriter.builder(Ipv4.address(TUN), 7890, table)
            .captureAll()
            .icmpEcho(new Ipv4Range(ip("198.18.0.0"), ip("198.19.255.255")))
            .dnsHijack(1053, true, true)
            .localSources(a -> a == HOST)
            .flowFilter(
                (protocol, source, sourcePort, destination, port) ->
                    port % 7 == 0
                        ? FlowFilter.Judgement.REJECT
                        : port % 11 == 0
                            ? FlowFilter.Judgement.DROP
                            : FlowFilter.Judgement.UNDECIDED)
            .build();
    RewriterFuzz.run(
        SEED,
        Fuzz.iterations(100_000),
        rewriter,
        new RewriterFuzz.Family() {
          @Override
          public RewriterFuzz.Input valid(SplittableRandom random, List<byte[]> recent) {
            return new RewriterFuzz.Input(validPacket(random, recent), null);
          }

          @Override
          public Predicate<ByteBuffer> checksumsAfter(ByteBuffer in) {
            // A datagram that came without a UDP checksum must leave without one.
            boolean noUdpChecksum = udpChecksumAbsent(in);
            return hasValidChecksums(in, true)
                ? out -> hasValidChecksums(out, noUdpChecksum)
                : null;
          }

          @Override
          public void after(int i, SplittableRandom random) {
            if (i % 1000 == 0) {
              clock.advance(Duration.ofSeconds(random.nextInt(40)));
              table.expire();
            }
          }
        });
  }

  /** A well-formed packet: a new or known flow, a reply from the relay, or an echo request. */
  private static byte[] validPacket(SplittableRandom r, List<byte[]> recent) {
    int source = r.nextInt(4) == 0 ? ip("203.0.113.50") : r.nextBoolean() ? TUN : HOST;
    int destination = r.nextBoolean() ? ip("198.18.3.7") : ip("198.51.100." + r.nextInt(256));
    int sport = 40_000 + r.nextInt(64);
    int dport = new int[] {443, 53, 7, 11, 3478, 80}[r.nextInt(6)];
    ByteBuffer b =
        switch (r.nextInt(5)) {
          case 0 -> Packets.tcp(source, sport, destination, dport, TcpHeader.SYN);
          case 1 ->
              Packets.tcp(
                  source,
                  sport,
                  destination,
                  dport,
                  TcpHeader.ACK,
                  r.nextInt(),
                  r.nextInt(),
                  Fuzz.bytes(r, r.nextInt(64)),
                  r.nextInt(3));
          case 2 ->
              Packets.udp(
                  source, sport, destination, dport, Fuzz.bytes(r, r.nextInt(64)), r.nextBoolean());
          case 3 ->
              Packets.echoRequest(
                  source, ip("198.18.0." + r.nextInt(256)), r.nextInt(65536), 1, new byte[8]);
          default -> {
            if (recent.isEmpty()) {
              yield Packets.tcp(source, sport, destination, dport, TcpHeader.SYN);
            }
            // A reply from the relay to a session address that was handed out.
            byte[] earlier = recent.get(r.nextInt(recent.size()));
            ByteBuffer e = ByteBuffer.wrap(earlier);
            int session = e.getInt(12);
            int proto = earlier[9];
            int ihl = (earlier[0] & 0x0f) * 4;
            int sessionPort = earlier.length >= ihl + 2 ? e.getShort(ihl) & 0xffff : 1024;
            int port = earlier.length >= ihl + 4 ? e.getShort(ihl + 2) & 0xffff : 7890;
            yield proto == 17
                ? Packets.udp(TUN, port, session, sessionPort, Fuzz.bytes(r, 8), false)
                : Packets.tcp(TUN, port, session, sessionPort, TcpHeader.ACK | TcpHeader.SYN);
          }
        };
    byte[] out = new byte[b.limit()];
    b.get(0, out);
    return out;
  }

  /** A UDP datagram without a checksum (0): it must stay without one, and only then be 0. */
  private static boolean udpChecksumAbsent(ByteBuffer p) {
    int base = p.position();
    if (p.remaining() < 28 || p.get(base + 9) != 17) {
      return false;
    }
    int ihl = (p.get(base) & 0x0f) * 4;
    return p.remaining() >= ihl + 8 && Packets.storedUdpChecksum(p, base) == 0;
  }

  /**
   * Whether a full recomputation agrees with the stored checksums. A UDP sum that computes to 0 is
   * sent as 0xffff (RFC 768); a stored 0 means "none" and is valid only when {@code zeroUdp}.
   */
  private static boolean hasValidChecksums(ByteBuffer p, boolean zeroUdp) {
    int base = p.position();
    if (p.remaining() < 20 || (p.get(base) >> 4 & 0xf) != 4) {
      return false;
    }
    int ihl = (p.get(base) & 0x0f) * 4;
    int total = p.getShort(base + 2) & 0xffff;
    if (ihl < 20 || total < ihl || total > p.remaining()) {
      return false;
    }
    if (Packets.storedIpChecksum(p, base) != Packets.ipChecksum(p, base)) {
      return false;
    }
    int protocol = p.get(base + 9);
    if (protocol == 6 && total >= ihl + 20) {
      return Packets.storedTcpChecksum(p, base) == Packets.tcpChecksum(p, base);
    }
    if (protocol == 17 && total >= ihl + 8) {
      int stored = Packets.storedUdpChecksum(p, base);
      int computed = Packets.udpChecksum(p, base);
      return stored == 0 ? zeroUdp : stored == computed || (computed == 0 && stored == 0xffff);
    }
    return protocol == 1;
  }
}
