package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.relay.Origin;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, item 8: a fake IP a UDP session uses stays mapped to its name while the session lives,
 * however many other names come and go, and is released when the session ends.
 */
class NatOriginsTest {
  private static final Inet4Address APP = (Inet4Address) IpLiterals.parse("198.18.0.1");
  private final FakeIpPool pool = FakeIpPool.of(IpLiterals.parse("198.18.0.2"), 4);
  private final NatTable nat =
      NatTable.builder(
              Ipv4.toInt(IpLiterals.parse("198.19.0.0")),
              Ipv4.toInt(IpLiterals.parse("198.19.0.9")),
              1024,
              65535)
          .build();
  private final NatOrigins origins = new NatOrigins(nat, new FakePools(pool, null));

  @Test
  void aUdpSessionPinsItsFakeIpUntilItEnds() {
    InetAddress fake = pool.addressFor("udp.example");
    Optional<Origin> origin = origins.udpOrigin(flowTo(fake));
    assertThat(origin).isPresent();
    assertThat(origin.get().host()).isEqualTo("udp.example");

    for (int i = 0; i < 20; i++) { // five times round a pool of four
      pool.addressFor("other-" + i + ".example");
    }
    assertThat(pool.nameFor(fake)).as("pinned while the session lives").contains("udp.example");

    origins.udpClosed(origin.get());
    assertThat(pool.pinnedCount()).isZero();
    for (int i = 0; i < 20; i++) {
      pool.addressFor("later-" + i + ".example");
    }
    assertThat(pool.nameFor(fake))
        .as("reused once the session ended")
        .isNotEqualTo(Optional.of("udp.example"));
  }

  @Test
  void aFakeIpNoNameMapsToStartsNoSessionAndHoldsNoPin() {
    InetAddress unmapped = IpLiterals.parse("198.18.0.5");
    assertThat(origins.udpOrigin(flowTo(unmapped))).isEmpty();
    assertThat(pool.pinnedCount()).isZero();
  }

  private static NatFlow flowTo(InetAddress fake) {
    return new NatFlow(APP, 40_000, (Inet4Address) fake, 53);
  }
}
