package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** What the NAT table tells its {@link FlowOffload}: the kernel may only hold live mappings. */
class NatTableOffloadTest {
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");

  final ManualTimeSource ticker = new ManualTimeSource();
  final RecordingOffload kernel = new RecordingOffload();
  final RecordingOffload udpKernel = kernel.udp;
  final NatTable table =
      NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
          .offload(kernel, Ipv4.address(APP))
          .timeSource(ticker)
          .build();

  /**
   * The kernel's flow map, as "source -> destination" to "new source -> new destination"; which of
   * them were added as replies, and the payload bytes a test says the kernel rewrote per tuple.
   */
  static final class RecordingOffload implements FlowOffload {
    final Map<String, String> tuples = new HashMap<>();
    final Set<String> replies = new HashSet<>();
    final Map<String, Long> bytes = new HashMap<>();
    // Segments the kernel rewrote itself, for pollForwarded: {source, destination, flags, reply}
    final java.util.List<long[]> segments = new java.util.ArrayList<>();
    final RecordingOffload udp;
    final RecordingOffload forwarded;

    RecordingOffload() {
      this(new RecordingOffload(null, null), new RecordingOffload(null, null));
    }

    private RecordingOffload(RecordingOffload udp, RecordingOffload forwarded) {
      this.udp = udp;
      this.forwarded = forwarded;
    }

    @Override
    public FlowOffload udp() {
      return udp == null ? NONE : udp;
    }

    @Override
    public FlowOffload forwarded() {
      return forwarded == null ? NONE : forwarded;
    }

    @Override
    public void add(long source, long destination, long newSource, long newDestination) {
      tuples.put(text(source, destination), text(newSource, newDestination));
    }

    @Override
    public void addReply(long source, long destination, long newSource, long newDestination) {
      add(source, destination, newSource, newDestination);
      replies.add(text(source, destination));
    }

    @Override
    public void remove(long source, long destination) {
      tuples.remove(text(source, destination));
      replies.remove(text(source, destination));
    }

    @Override
    public int pollForwarded(Segments to) {
      int n = segments.size();
      segments.forEach(s -> to.segment(s[0], s[1], (int) s[2], s[3] != 0));
      segments.clear();
      return n;
    }

    @Override
    public long bytes(long source, long destination) {
      return bytes.getOrDefault(text(source, destination), 0L);
    }

    @Override
    public long[] bytesTotal() {
      long[] totals = new long[2];
      bytes.forEach((tuple, n) -> totals[replies.contains(tuple) ? 1 : 0] += n);
      return totals;
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
  void aRelayedUdpFlowIsMappedBothWaysInTheUdpPart() {
    NatEntry entry = table.createIdle(udpFlow(40001, 5201), 7890);
    String session =
        RecordingOffload.endpoint(FlowOffload.endpoint(entry.sessionAddress, entry.sessionPort));
    assertThat(udpKernel.tuples)
        .containsOnly(
            Map.entry("198.18.0.1:40001 -> 198.18.3.7:5201", session + " -> 198.18.0.1:7890"),
            Map.entry("198.18.0.1:7890 -> " + session, "198.18.3.7:5201 -> 198.18.0.1:40001"));
    assertThat(kernel.tuples).isEmpty();
  }

  @Test
  void hijackedDnsFlowsStayOnTheTunPath() {
    table.createIdle(udpFlow(40001, 53), 53);
    table.createIdle(new FlowKey().set(Packets.TCP, APP, 40002, FAKE, 53), 53);
    assertThat(kernel.tuples).isEmpty();
    assertThat(udpKernel.tuples).isEmpty();
  }

  /** Its datagrams bypass the TUN: what keeps the entry alive is the relay asking for its flow. */
  @Test
  void aUdpEntryLivesWhileTheRelaySeesItsDatagramsAndIsUnmappedWhenItExpires() {
    NatEntry entry = table.createIdle(udpFlow(40001, 5201), 7890);
    for (int i = 0; i < 3; i++) {
      ticker.advance(Duration.ofSeconds(50));
      assertThat(table.udpFlow(peer(entry))).isPresent();
      assertThat(table.expire()).isZero();
    }
    assertThat(udpKernel.tuples).hasSize(2);

    ticker.advance(NatTable.DEFAULT_UDP_TIMEOUT);
    assertThat(table.expire()).isEqualTo(1);
    assertThat(udpKernel.tuples).isEmpty();
    assertThat(table.udpFlow(peer(entry))).isEmpty();
  }

  @Test
  void anEvictedUdpEntryIsUnmappedToo() {
    NatTable small =
        NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
            .offload(kernel, Ipv4.address(APP))
            .timeSource(ticker)
            .maxIdleEntries(1)
            .build();
    small.createIdle(udpFlow(40001, 5201), 7890);
    ticker.advance(Duration.ofSeconds(1));
    NatEntry newer = small.createIdle(udpFlow(40002, 5201), 7890);
    assertThat(udpKernel.tuples)
        .hasSize(2)
        .containsKey("198.18.0.1:40002 -> 198.18.3.7:5201")
        .containsKey(
            "198.18.0.1:7890 -> "
                + RecordingOffload.endpoint(
                    FlowOffload.endpoint(newer.sessionAddress, newer.sessionPort)));
  }

  static FlowKey udpFlow(int appPort, int port) {
    return new FlowKey().set(Packets.UDP, APP, appPort, FAKE, port);
  }
}
