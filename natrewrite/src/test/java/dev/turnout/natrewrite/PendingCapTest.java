package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.PacketRewriterTest.FAKE;
import static dev.turnout.natrewrite.PacketRewriterTest.RELAY_PORT;
import static dev.turnout.natrewrite.PacketRewriterTest.SYN;
import static dev.turnout.natrewrite.PacketRewriterTest.TUN;
import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A SYN flood fills the table only up to its cap of connections the relay has not accepted. */
class PendingCapTest {
  private final ManualTimeSource clock = new ManualTimeSource();
  private final NatTable table =
      NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
          .maxUnclaimed(100)
          .timeSource(clock)
          .build();
  private final PacketRewriter rewriter =
      new PacketRewriter(
          Ipv4.address(TUN), RELAY_PORT, ip("198.18.0.0"), ip("198.19.255.255"), table);

  @Test
  void synsBeyondTheCapAreDroppedAndCountedUntilTheRelayCatchesUp() {
    for (int port = 10_000; port < 10_000 + 1_000; port++) {
      rewriter.rewrite(Packets.tcp(TUN, port, FAKE, 443, SYN));
    }
    assertThat(table.unclaimedEntries()).isEqualTo(100);
    assertThat(table.activeEntries()).isEqualTo(100);
    assertThat(rewriter.stats().dropped(DropReason.TOO_MANY_PENDING)).isEqualTo(900);

    // The relay accepts one: room for one more SYN.
    assertThat(table.claim(new InetSocketAddress(Ipv4.address(ip("198.19.0.1")), 1024)))
        .isPresent();
    assertThat(table.unclaimedEntries()).isEqualTo(99);
    assertThat(rewriter.rewrite(Packets.tcp(TUN, 20_000, FAKE, 443, SYN)))
        .isEqualTo(Verdict.FORWARD);
    assertThat(rewriter.rewrite(Packets.tcp(TUN, 20_001, FAKE, 443, SYN))).isEqualTo(Verdict.DROP);

    // Unclaimed entries expire, and new flows are welcome again.
    clock.advance(NatTable.DEFAULT_UNCLAIMED_TIMEOUT.plus(Duration.ofSeconds(1)));
    table.expire();
    assertThat(table.unclaimedEntries()).isZero();
    assertThat(rewriter.rewrite(Packets.tcp(TUN, 20_002, FAKE, 443, SYN)))
        .isEqualTo(Verdict.FORWARD);
  }
}
