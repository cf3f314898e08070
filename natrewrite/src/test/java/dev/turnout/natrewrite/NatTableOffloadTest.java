package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the NAT table tells its {@link FlowOffload}: the kernel may only hold live mappings. */
class NatTableOffloadTest {
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");

  final ManualTimeSource ticker = new ManualTimeSource();
  final RecordingOffload kernel = new RecordingOffload();
  final NatTable table =
      NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
          .offload(kernel, Ipv4.address(APP))
          .timeSource(ticker)
          .build();

  /** The kernel's flow map, as "source -> destination" to "new source -> new destination". */
  static final class RecordingOffload implements FlowOffload {
    final Map<String, String> tuples = new HashMap<>();

    @Override
    public void add(long source, long destination, long newSource, long newDestination) {
      tuples.put(text(source, destination), text(newSource, newDestination));
    }

    @Override
    public void remove(long source, long destination) {
      tuples.remove(text(source, destination));
    }

    static String text(long source, long destination) {
      return endpoint(source) + " -> " + endpoint(destination);
    }

    static String endpoint(long packed) {
      return Ipv4.address((int) (packed >>> 16)).getHostAddress() + ":" + (packed & 0xffff);
    }
  }

  static FlowKey flow(int appPort) {
    return new FlowKey().set(Packets.TCP, APP, appPort, FAKE, 443);
  }

  static InetSocketAddress peer(NatEntry entry) {
    return new InetSocketAddress(Ipv4.address(entry.sessionAddress), entry.sessionPort);
  }

  @Test
  void aRelayFlowIsMappedBothWaysAsTheTunPathRewritesIt() {
    assertOnlyMapped(table.create(flow(40001), 7890));
  }

  /** The kernel holds exactly the two directions of {@code entry}, a flow from app port 40001. */
  void assertOnlyMapped(NatEntry entry) {
    String session = entry.session.toString();
    assertThat(kernel.tuples)
        .containsOnly(
            Map.entry("198.18.0.1:40001 -> 198.18.3.7:443", session + " -> 198.18.0.1:7890"),
            Map.entry("198.18.0.1:7890 -> " + session, "198.18.3.7:443 -> 198.18.0.1:40001"));
  }

  @Test
  void theKernelLetsGoOnlyWhenTheEntryIsFreed() {
    NatEntry entry = table.create(flow(40001), 7890);
    table.claim(peer(entry));
    table.release(peer(entry));
    ticker.advance(Duration.ofSeconds(4));
    assertThat(table.expire()).isZero();
    assertThat(kernel.tuples).hasSize(2);

    ticker.advance(Duration.ofSeconds(1));
    assertThat(table.expire()).isEqualTo(1);
    assertThat(kernel.tuples).isEmpty();
  }

  @Test
  void anUnclaimedEntryThatExpiresIsForgottenToo() {
    table.create(flow(40001), 7890);
    ticker.advance(NatTable.DEFAULT_UNCLAIMED_TIMEOUT);
    assertThat(table.expire()).isEqualTo(1);
    assertThat(kernel.tuples).isEmpty();
  }

  /** A reused app port maps its tuple to a new session; freeing the old one must not unmap it. */
  @Test
  void freeingAReplacedEntryKeepsTheNewerMappingOfItsTuple() {
    NatEntry old = table.create(flow(40001), 7890);
    table.claim(peer(old));
    table.release(peer(old));
    NatEntry fresh = table.create(flow(40001), 7890);

    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);

    assertOnlyMapped(fresh);
  }

  @Test
  void udpAndHijackedDnsFlowsStayOnTheTunPath() {
    table.createIdle(new FlowKey().set(Packets.UDP, APP, 40001, FAKE, 443), 7890);
    table.createIdle(new FlowKey().set(Packets.TCP, APP, 40002, FAKE, 53), 53);
    assertThat(kernel.tuples).isEmpty();
  }
}
