package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.PacketRewriterTest.FAKE;
import static dev.turnout.natrewrite.PacketRewriterTest.RELAY_PORT;
import static dev.turnout.natrewrite.PacketRewriterTest.SYN;
import static dev.turnout.natrewrite.PacketRewriterTest.TUN;
import static dev.turnout.natrewrite.Packets.ip;
import static dev.turnout.natrewrite.Packets6.ip6;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.Ipv6;
import dev.turnout.netbase.ManualTimeSource;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, defect 6: allow-lan was not enforced on the data path. Without it, only this host (the
 * TUN address or one of its own addresses) may start flows; another host's flows are dropped and
 * counted, DNS hijack included, and nothing is created for them.
 */
class AllowLanTest {
  private static final int HOST = ip("203.0.113.2"); // one of this host's addresses
  private static final int LAN = ip("203.0.113.50"); // another host, forwarded to us

  private final NatTable table =
      NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535).build();

  private PacketRewriter rewriter(boolean allowLan) {
    PacketRewriter.Builder b =
        PacketRewriter.builder(Ipv4.address(TUN), RELAY_PORT, table)
            .captureAll()
            .dnsHijack(1053, true, true);
    if (!allowLan) {
      b.localSources(address -> address == HOST);
    }
    return b.build();
  }

  @Test
  void withoutAllowLanAFlowFromAnotherHostIsDroppedAndCounted() {
    PacketRewriter rewriter = rewriter(false);
    assertThat(rewriter.rewrite(Packets.tcp(LAN, 40_000, FAKE, 443, SYN))).isEqualTo(Verdict.DROP);
    assertThat(rewriter.rewrite(Packets.udp(LAN, 40_001, FAKE, 3478, new byte[4], false)))
        .isEqualTo(Verdict.DROP);
    assertThat(
            rewriter.rewrite(
                Packets.udp(LAN, 40_002, ip("198.51.100.53"), 53, new byte[12], false)))
        .isEqualTo(Verdict.DROP); // hijacked DNS too
    assertThat(rewriter.stats().dropped(DropReason.NOT_LOCAL_SOURCE)).isEqualTo(3);
    assertThat(table.activeEntries()).isZero();

    assertThat(rewriter.rewrite(Packets.tcp(TUN, 40_000, FAKE, 443, SYN)))
        .isEqualTo(Verdict.FORWARD);
    assertThat(rewriter.rewrite(Packets.tcp(HOST, 40_000, FAKE, 443, SYN)))
        .isEqualTo(Verdict.FORWARD);
    assertThat(table.activeEntries()).isEqualTo(2);
  }

  /** The same for IPv6: a LAN host's flows are dropped, this host's (and the TUN's) served. */
  @Test
  void withoutAllowLanAnIpv6FlowFromAnotherHostIsDroppedAndCounted() {
    long[] host6 = ip6("2001:db8:113::2");
    long[] lan6 = ip6("2001:db8:66::66");
    NatTable table6 = Ipv6RewriterTest.table(new ManualTimeSource());
    PacketRewriter rewriter =
        PacketRewriter.builder(Ipv4.address(TUN), RELAY_PORT, table6)
            .captureAll()
            .ipv6(Ipv6RewriterTest.address(Ipv6RewriterTest.TUN), Ipv6RewriterTest.RANGE)
            .dnsHijack(1053, true, true)
            .localSources(address -> address == HOST)
            .localSources6(a -> a.equals(Ipv6.address(host6[0], host6[1])))
            .build();
    long[] real = Ipv6RewriterTest.REAL;
    assertThat(rewriter.rewrite(Packets6.tcp(lan6, 40_000, real, 443, SYN)))
        .isEqualTo(Verdict.DROP);
    assertThat(rewriter.rewrite(Packets6.udp(lan6, 40_001, real, 53, new byte[12], 0)))
        .isEqualTo(Verdict.DROP); // hijacked DNS too
    assertThat(rewriter.stats().dropped(DropReason.NOT_LOCAL_SOURCE)).isEqualTo(2);
    assertThat(table6.activeEntries()).isZero();

    assertThat(rewriter.rewrite(Packets6.tcp(host6, 40_000, real, 443, SYN)))
        .isEqualTo(Verdict.FORWARD);
    assertThat(rewriter.rewrite(Packets6.tcp(Ipv6RewriterTest.TUN, 40_000, real, 443, SYN)))
        .isEqualTo(Verdict.FORWARD);
    assertThat(table6.activeEntries()).isEqualTo(2);
  }

  @Test
  void withAllowLanAnyHostMayStartFlows() {
    PacketRewriter rewriter = rewriter(true);
    assertThat(rewriter.rewrite(Packets.tcp(LAN, 40_000, FAKE, 443, SYN)))
        .isEqualTo(Verdict.FORWARD);
    assertThat(rewriter.stats().dropped(DropReason.NOT_LOCAL_SOURCE)).isZero();
  }
}
