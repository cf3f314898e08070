package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static dev.turnout.natrewrite.Packets6.ip6;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.Ipv6;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The NAT table's IPv6 pool: allocation, lifetimes and what the kernel fast path is told. */
class NatTable6Test {
  static final long[] TUN = ip6("fdfe:dcba:9876::1");
  static final long[] FAKE = ip6("fdfe:dcba:9876::abcd");
  static final long[] POOL = ip6("fdfe:dcba:9876:0:8000::");

  final ManualTimeSource ticker = new ManualTimeSource();
  final RecordingOffload6 kernel = new RecordingOffload6();

  NatTable table(int poolSize, int lastPort) {
    return NatTable.builder(ip("198.19.0.1"), ip("198.19.0.1"), 1024, lastPort)
        .ipv6Pool(Ipv6.address(POOL[0], POOL[1]), poolSize, Ipv6.address(TUN[0], TUN[1]))
        .offload(kernel, dev.turnout.netbase.Ipv4.address(ip("198.18.0.1")))
        .timeSource(ticker)
        .build();
  }

  static FlowKey flow(int protocol, int appPort) {
    return new FlowKey().set6(protocol, TUN[0], TUN[1], appPort, FAKE[0], FAKE[1], 443);
  }

  static InetSocketAddress peer(NatEntry entry) {
    return new InetSocketAddress(
        Ipv6.address(entry.sessionHigh, entry.sessionLow), entry.sessionPort);
  }

  /** The kernel's IPv6 flow map, as text; IPv4 flows are only counted. */
  static final class RecordingOffload6 implements FlowOffload {
    final Map<String, String> tuples = new HashMap<>();
    int ipv4;

    @Override
    public void add(long source, long destination, long newSource, long newDestination) {
      ipv4++;
    }

    @Override
    public void remove(long source, long destination) {
      ipv4--;
    }

    @Override
    public void add6(
        Endpoint6 source, Endpoint6 destination, Endpoint6 newSource, Endpoint6 newDestination) {
      tuples.put(text(source, destination), text(newSource, newDestination));
    }

    @Override
    public void remove6(Endpoint6 source, Endpoint6 destination) {
      tuples.remove(text(source, destination));
    }

    static String text(Endpoint6 source, Endpoint6 destination) {
      return endpoint(source) + " -> " + endpoint(destination);
    }

    static String endpoint(Endpoint6 e) {
      return "[" + Ipv6.address(e.high(), e.low()).getHostAddress() + "]:" + e.port();
    }
  }

  @Test
  void aV6RelayFlowIsOffloadedBothWaysAndWithdrawnWhenFreed() {
    NatTable table = table(16, 65535);
    NatEntry entry = table.create(flow(Packets6.TCP, 40001), 7890);
    String app = "[fdfe:dcba:9876:0:0:0:0:1]:40001";
    String fake = "[fdfe:dcba:9876:0:0:0:0:abcd]:443";
    String session = "[fdfe:dcba:9876:0:8000:0:0:0]:1024";
    String listener = "[fdfe:dcba:9876:0:0:0:0:1]:7890";
    assertThat(kernel.tuples)
        .containsOnly(
            Map.entry(app + " -> " + fake, session + " -> " + listener),
            Map.entry(listener + " -> " + session, fake + " -> " + app));

    assertThat(table.claim(peer(entry))).isPresent();
    table.release(peer(entry));
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
    assertThat(kernel.tuples).isEmpty();
    assertThat(table.activeEntries()).isZero();
  }

  @Test
  void theV6PoolIsExhaustedOnItsOwnAndCounted() {
    NatTable table = table(1, 1025); // one address, two ports: two pairs per protocol
    assertThat(table.capacity6()).isEqualTo(2);
    assertThat(table.create(flow(Packets6.TCP, 1), 7890)).isNotNull();
    assertThat(table.create(flow(Packets6.TCP, 2), 7890)).isNotNull();
    assertThat(table.create(flow(Packets6.TCP, 3), 7890)).isNull();
    assertThat(table.createIdle(flow(Packets6.UDP, 3), 7890)).as("UDP has its own").isNotNull();
    assertThat(table.create(new FlowKey().set(6, 1, 2, 3, 4), 7890))
        .as("and IPv4 its own pool")
        .isNotNull();
    NatStats.Builder stats = new NatStats.Builder();
    table.addTo(stats);
    assertThat(stats.build().allocationFailures()).isEqualTo(1);
    assertThat(kernel.tuples).hasSize(4);
    assertThat(kernel.ipv4).isEqualTo(2);
  }

  @Test
  void anIdleV6FlowExpiresAndItsPairIsReused() {
    NatTable table = table(1, 1024);
    NatEntry first = table.createIdle(flow(Packets6.UDP, 1), 7890);
    assertThat(table.udpFlow(peer(first))).isPresent();
    ticker.advance(Duration.ofSeconds(61));
    assertThat(table.expire()).isEqualTo(1);
    assertThat(table.udpFlow(peer(first))).isEmpty();
    NatEntry second = table.createIdle(flow(Packets6.UDP, 2), 7890);
    assertThat(peer(second)).isEqualTo(peer(first));
  }

  @Test
  void addressesOutsideThePoolAreNobodysSession() {
    NatTable table = table(16, 65535);
    table.create(flow(Packets6.TCP, 1), 7890);
    assertThat(table.claim(new InetSocketAddress(Ipv6.address(FAKE[0], FAKE[1]), 1024))).isEmpty();
    assertThat(table.claim(new InetSocketAddress(Ipv6.address(POOL[0], POOL[1] + 16), 1024)))
        .isEmpty();
  }

  @Test
  void aPoolThatWouldCrossA64BitBoundaryOrHoldTheTunAddressIsRefused() {
    assertThatThrownBy(
            () ->
                NatTable.builder(1, 1, 1024, 65535)
                    .ipv6Pool(Ipv6.address(POOL[0], -2L), 4, Ipv6.address(TUN[0], TUN[1]))
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(
            () ->
                NatTable.builder(1, 1, 1024, 65535)
                    .ipv6Pool(Ipv6.address(TUN[0], 0), 4, Ipv6.address(TUN[0], TUN[1]))
                    .build())
        .isInstanceOf(IllegalArgumentException.class);
  }
}
