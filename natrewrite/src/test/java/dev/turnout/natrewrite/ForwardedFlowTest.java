package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * TCP flows the filter judges {@link FlowFilter.Action#FORWARD}: NAT'ed to their real destination
 * for the kernel to forward, followed by their SYN-ACK, FINs and RSTs, mirrored into the offload's
 * forwarded part, and handed to the relay whenever they cannot be forwarded.
 */
class ForwardedFlowTest {
  static final int TUN = ip("198.18.0.1");
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");
  static final int REAL = ip("203.0.113.10");
  static final int RELAY_PORT = 7890;
  static final int ACK = TcpHeader.ACK;

  final ManualTimeSource ticker = new ManualTimeSource();
  final NatTableOffloadTest.RecordingOffload kernel = new NatTableOffloadTest.RecordingOffload();

  /** Forwards every flow to {@link #REAL}. */
  static final FlowFilter.Judgement FORWARD = to(REAL);

  /** Waits for a destination's answer as long as for the relay's: tests pass graces before it. */
  NatTable table(int maxForwarded) {
    return NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
        .offload(kernel, Ipv4.address(TUN))
        .maxForwarded(maxForwarded)
        .forwardedAnswerTimeout(NatTable.DEFAULT_UNCLAIMED_TIMEOUT)
        .timeSource(ticker)
        .build();
  }

  final NatTable table = table(NatTable.DEFAULT_MAX_FORWARDED);
  final PacketRewriter rewriter = rewriter(table);

  static PacketRewriter rewriter(NatTable table) {
    return PacketRewriter.builder(Ipv4.address(TUN), RELAY_PORT, table)
        .captured(ip("198.18.0.0"), ip("198.19.255.255"))
        .flowFilter((protocol, source, sourcePort, destination, port) -> FORWARD)
        .build();
  }

  static int port(ByteBuffer b, int offset) {
    return b.getShort(Packets.ihl(b, 0) + offset) & 0xffff;
  }

  static void assertChecksumsValid(ByteBuffer b) {
    assertThat(Packets.storedIpChecksum(b, 0)).isEqualTo(Packets.ipChecksum(b, 0));
    assertThat(Packets.storedTcpChecksum(b, 0)).isEqualTo(Packets.tcpChecksum(b, 0));
  }

  /** Sends the app's SYN from {@code appPort}; returns it as rewritten. */
  ByteBuffer syn(PacketRewriter r, int appPort) {
    ByteBuffer syn = Packets.tcp(APP, appPort, FAKE, 443, TcpHeader.SYN);
    assertThat(r.rewrite(syn)).isEqualTo(Verdict.FORWARD);
    return syn;
  }

  /** A segment from the real destination to the session {@code syn} was given. */
  static ByteBuffer fromDestination(ByteBuffer syn, int flags) {
    return Packets.tcp(REAL, 443, Packets.srcAddress(syn, 0), port(syn, 0), flags);
  }

  /** A segment from the app of the flow {@code syn} started. */
  static ByteBuffer fromApp(ByteBuffer syn, int flags) {
    return Packets.tcp(APP, 40001, FAKE, 443, flags);
  }

  @Test
  void theSynGoesToTheRealDestinationFromASessionAddressAndRepliesComeBackFromTheFakeOne() {
    ByteBuffer syn = syn(rewriter, 40001);

    assertThat(table.inPool(Packets.srcAddress(syn, 0))).isTrue();
    assertThat(Packets.dstAddress(syn, 0)).isEqualTo(REAL);
    assertThat(port(syn, 2)).as("the port the app dialed").isEqualTo(443);
    assertChecksumsValid(syn);
    assertThat(table.unclaimedEntries()).isEqualTo(1);

    ByteBuffer synAck = fromDestination(syn, TcpHeader.SYN | ACK);
    assertThat(rewriter.rewrite(synAck)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.srcAddress(synAck, 0)).isEqualTo(FAKE);
    assertThat(port(synAck, 0)).isEqualTo(443);
    assertThat(Packets.dstAddress(synAck, 0)).isEqualTo(APP);
    assertThat(port(synAck, 2)).isEqualTo(40001);
    assertChecksumsValid(synAck);
    assertThat(table.unclaimedEntries()).as("established by the SYN-ACK").isZero();

    ByteBuffer data = fromApp(syn, ACK);
    assertThat(rewriter.rewrite(data)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.dstAddress(data, 0)).isEqualTo(REAL);
    assertThat(Packets.srcAddress(data, 0)).isEqualTo(Packets.srcAddress(syn, 0));
    assertChecksumsValid(data);

    NatStats stats = rewriter.stats();
    assertThat(stats.forwardedFlows()).isEqualTo(1);
    assertThat(stats.entriesClaimed()).isEqualTo(1);
  }

  @Test
  void theKernelGetsBothDirectionsInItsForwardedPartOnly() {
    ByteBuffer syn = syn(rewriter, 40001);
    String session = Ipv4.format(Packets.srcAddress(syn, 0)) + ":" + port(syn, 0);
    assertThat(kernel.forwarded.tuples)
        .containsOnly(
            Map.entry("198.18.0.1:40001 -> 198.18.3.7:443", session + " -> 203.0.113.10:443"),
            Map.entry("203.0.113.10:443 -> " + session, "198.18.3.7:443 -> 198.18.0.1:40001"));
    assertThat(kernel.tuples).isEmpty();

    rewriter.rewrite(fromDestination(syn, TcpHeader.RST));
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
    assertThat(kernel.forwarded.tuples).isEmpty();
  }

  @Test
  void onlyTheFlowsDestinationMaySendToItsSession() {
    ByteBuffer syn = syn(rewriter, 40001);
    ByteBuffer otherHost =
        Packets.tcp(ip("203.0.113.11"), 443, Packets.srcAddress(syn, 0), port(syn, 0), ACK);
    ByteBuffer otherPort = Packets.tcp(REAL, 444, Packets.srcAddress(syn, 0), port(syn, 0), ACK);

    assertThat(rewriter.rewrite(otherHost)).isEqualTo(Verdict.DROP);
    assertThat(rewriter.rewrite(otherPort)).isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(DropReason.NOT_FROM_RELAY)).isEqualTo(2);
    assertThat(
            table.claim(
                new InetSocketAddress(Ipv4.address(Packets.srcAddress(syn, 0)), port(syn, 0))))
        .as("the relay cannot claim a forwarded flow")
        .isEmpty();
  }

  @Test
  void theEntryLivesUntilBothFinsHavePassedAndThenForTheGrace() {
    ByteBuffer syn = syn(rewriter, 40001);
    rewriter.rewrite(fromDestination(syn, TcpHeader.SYN | ACK));

    assertThat(rewriter.rewrite(fromApp(syn, TcpHeader.FIN | ACK))).isEqualTo(Verdict.FORWARD);
    ticker.advance(Duration.ofHours(1));
    assertThat(table.expire()).as("half closed: the other side may still send").isZero();

    assertThat(rewriter.rewrite(fromDestination(syn, TcpHeader.FIN | ACK)))
        .isEqualTo(Verdict.FORWARD);
    ByteBuffer lastAck = fromApp(syn, ACK);
    assertThat(rewriter.rewrite(lastAck)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.dstAddress(lastAck, 0)).as("the last ACK still passes").isEqualTo(REAL);

    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
    assertThat(table.activeEntries()).isZero();
  }

  /** A segment the kernel rewrote itself, as its event ring tells it. */
  void inKernel(ByteBuffer segment, boolean reply) {
    kernel.forwarded.segments.add(
        new long[] {
          FlowOffload.endpoint(Packets.srcAddress(segment, 0), port(segment, 0)),
          FlowOffload.endpoint(Packets.dstAddress(segment, 0), port(segment, 2)),
          segment.get(33) & 0xff,
          reply ? 1 : 0
        });
  }

  /**
   * The SYN-ACK, FINs and RST the kernel's fast path rewrote itself and told as events have the
   * effect they have when they cross the TUN.
   */
  @Test
  void whatTheKernelTellsOfAFlowsLifeCountsAsIfItHadCrossedTheTun() {
    ByteBuffer syn = syn(rewriter, 40001);
    inKernel(fromDestination(syn, TcpHeader.SYN | ACK), true);
    assertThat(rewriter.pollKernel()).isEqualTo(1);
    assertThat(table.unclaimedEntries()).as("established").isZero();

    inKernel(fromApp(syn, TcpHeader.FIN | ACK), false);
    rewriter.pollKernel();
    ticker.advance(Duration.ofHours(1));
    assertThat(table.expire()).as("half closed: the other side may still send").isZero();
    inKernel(fromDestination(syn, TcpHeader.FIN | ACK), true);
    rewriter.pollKernel();
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
    assertThat(table.activeEntries()).isZero();

    ByteBuffer again = syn(rewriter, 40002);
    inKernel(fromDestination(again, TcpHeader.RST | ACK), true);
    rewriter.pollKernel();
    assertThat(table.unclaimedEntries()).as("refused").isZero();
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
  }

  /**
   * An event that names no live forwarded flow (a stale session, a relayed one) changes nothing.
   */
  @Test
  void anEventOfNoForwardedFlowIsIgnored() {
    ByteBuffer syn = syn(rewriter, 40001);
    ByteBuffer wrongPort = fromDestination(syn, TcpHeader.RST | ACK);
    wrongPort.putShort(20, (short) 444); // from another port of the destination
    inKernel(wrongPort, true);
    inKernel(Packets.tcp(APP, 40009, FAKE, 443, TcpHeader.RST), false); // no such flow
    assertThat(rewriter.pollKernel()).isEqualTo(2);
    assertThat(table.unclaimedEntries()).as("still pending").isEqualTo(1);
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isZero();
  }

  /**
   * A port reused while the earlier flow on it lives on in its grace, once relayed and now
   * forwarded or the other way round: the kernel looks tuples up in its relayed part first, so a
   * relayed rewrite left there would send the new flow's segments to a relay session that is gone
   * (which answers with a RST, and the forwarded flow never sees its end). The earlier flow's
   * forward rewrite leaves its part at once; its reverse one stays until its entry is freed.
   */
  @Test
  void aReusedPortMovesTheFlowsForwardRewriteBetweenTheRelayedAndTheForwardedPart() {
    String flow = "198.18.0.1:40001 -> 198.18.3.7:443";
    NatEntry relayed = table.create(new FlowKey().set(Packets.TCP, APP, 40001, FAKE, 443), 7890);
    InetSocketAddress relaySide =
        new InetSocketAddress(Ipv4.address(relayed.sessionAddress), relayed.sessionPort);
    table.claim(relaySide);
    table.release(relaySide); // the relay closed it: in its grace
    assertThat(kernel.tuples).containsKey(flow).hasSize(2);

    ByteBuffer syn = syn(rewriter, 40001); // the app reuses the port; now the kernel forwards it
    assertThat(kernel.tuples).as("relayed part").doesNotContainKey(flow).hasSize(1);
    assertThat(kernel.forwarded.tuples).containsKey(flow);
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
    assertThat(kernel.tuples).isEmpty();
    assertThat(kernel.forwarded.tuples).hasSize(2);

    rewriter.rewrite(fromDestination(syn, TcpHeader.RST | ACK)); // refused: in its grace
    table.create(new FlowKey().set(Packets.TCP, APP, 40001, FAKE, 443), 7890); // relayed again
    assertThat(kernel.forwarded.tuples).as("forwarded part").doesNotContainKey(flow).hasSize(1);
    assertThat(kernel.tuples).containsKey(flow).hasSize(2);
  }

  @Test
  void aRefusedConnectionEndsWithItsRstAndNoLongerCountsAsPending() {
    ByteBuffer syn = syn(rewriter, 40001);
    ByteBuffer refused = fromDestination(syn, TcpHeader.RST | ACK);

    assertThat(rewriter.rewrite(refused)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.dstAddress(refused, 0)).isEqualTo(APP);
    assertThat(table.unclaimedEntries()).isZero();
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
  }

  @Test
  void aRstFromTheAppEndsAnEstablishedFlow() {
    ByteBuffer syn = syn(rewriter, 40001);
    rewriter.rewrite(fromDestination(syn, TcpHeader.SYN | ACK));
    rewriter.rewrite(fromApp(syn, TcpHeader.RST | ACK));
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).isEqualTo(1);
  }

  /**
   * A destination that has not answered by the app's first SYN retransmission lets the entry go
   * before the second, reported unanswered: that SYN is judged again (and may go to the relay,
   * which races the name's other addresses).
   */
  @Test
  void aDestinationThatNeverAnswersIsReportedAndTheAppsNextSynJudgedAgain() {
    Listing listing = new Listing();
    NatTable listed = listed(listing);
    PacketRewriter r = rewriter(listed);
    syn(r, 40001);
    ticker.advance(NatTable.DEFAULT_FORWARDED_ANSWER_TIMEOUT.minusMillis(1));
    assertThat(listed.expire()).isZero();
    assertThat(Packets.dstAddress(syn(r, 40001), 0)).as("a retransmission").isEqualTo(REAL);
    assertThat(listed.activeEntries()).isEqualTo(1);
    ticker.advance(Duration.ofMillis(1));

    assertThat(listed.expire()).isEqualTo(1);
    assertThat(listed.unclaimedEntries()).isZero();
    assertThat(listing.heard)
        .containsExactly(
            "started /198.18.0.1:40001 -> /198.18.3.7:443",
            "unanswered 203.0.113.10:443",
            "ended /198.18.0.1:40001 -> /198.18.3.7:443");
    syn(r, 40001);
    assertThat(listed.activeEntries()).as("a new entry for the app's next SYN").isEqualTo(1);
  }

  @Test
  void anAnsweredFlowIsNotReported() {
    Listing listing = new Listing();
    NatTable listed = listed(listing);
    PacketRewriter r = rewriter(listed);
    ByteBuffer syn = syn(r, 40001);
    r.rewrite(fromDestination(syn, TcpHeader.SYN | ACK));
    ticker.advance(NatTable.DEFAULT_UNCLAIMED_TIMEOUT);
    assertThat(listed.expire()).isZero();
    r.rewrite(fromDestination(syn, TcpHeader.RST));
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(listed.expire()).isEqualTo(1);
    assertThat(listing.heard).noneMatch(line -> line.startsWith("unanswered"));
  }

  @Test
  void beyondTheCapNewFlowsGoToTheRelay() {
    NatTable capped = table(1);
    PacketRewriter r = rewriter(capped);
    ByteBuffer first = syn(r, 40001);
    ByteBuffer second = syn(r, 40002);

    assertThat(Packets.dstAddress(first, 0)).isEqualTo(REAL);
    assertThat(Packets.dstAddress(second, 0)).isEqualTo(TUN);
    assertThat(port(second, 2)).isEqualTo(RELAY_PORT);
    assertThat(r.stats().forwardedFlows()).isEqualTo(1);

    r.rewrite(fromDestination(first, TcpHeader.RST));
    ticker.advance(NatTable.DEFAULT_GRACE);
    capped.expire();
    assertThat(Packets.dstAddress(syn(r, 40003), 0)).as("room again").isEqualTo(REAL);
  }

  @Test
  void theSessionKeepsTheAppsPortAndAReusedPortGetsTheSameSessionBack() {
    ByteBuffer first = syn(rewriter, 40001);
    assertThat(port(first, 0)).as("the app's own port").isEqualTo(40001);
    rewriter.rewrite(fromDestination(first, TcpHeader.SYN | ACK));
    rewriter.rewrite(fromDestination(first, TcpHeader.FIN | ACK));
    rewriter.rewrite(fromApp(first, TcpHeader.FIN | ACK));

    // The app dials again from the same port while the old entry is in its grace.
    ByteBuffer again = syn(rewriter, 40001);
    assertThat(Packets.srcAddress(again, 0)).isEqualTo(Packets.srcAddress(first, 0));
    assertThat(port(again, 0)).isEqualTo(40001);
    assertThat(table.activeEntries()).as("the old entry made way").isEqualTo(1);
    assertThat(kernel.forwarded.tuples).hasSize(2);
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(table.expire()).as("the new flow is not in grace").isZero();
    assertThat(kernel.forwarded.tuples).hasSize(2);
    ByteBuffer synAck = fromDestination(again, TcpHeader.SYN | ACK);
    assertThat(rewriter.rewrite(synAck)).isEqualTo(Verdict.FORWARD);
    assertThat(table.unclaimedEntries()).isZero();
  }

  /**
   * With the host's ephemeral ports 32768-60999 moved to 1024-29255, an app port of that range
   * keeps its session port the same way, moved; one outside it is allocated as for any flow.
   */
  @Test
  void appPortsOfTheEphemeralRangeTakeTheirMovedPortAgainAndAgain() {
    NatTable moved =
        NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
            .offload(kernel, Ipv4.address(TUN))
            .forwardedPorts(32768, 60999, 1024)
            .timeSource(ticker)
            .build();
    PacketRewriter r = rewriter(moved);
    ByteBuffer first = syn(r, 40001);
    assertThat(port(first, 0)).as("40001 - 32768 + 1024").isEqualTo(8257);
    assertThat(port(syn(r, 32768), 0)).isEqualTo(1024);
    assertThat(port(syn(r, 60999), 0)).isEqualTo(29255);
    r.rewrite(fromDestination(first, TcpHeader.RST));

    ByteBuffer again = syn(r, 40001);
    assertThat(Packets.srcAddress(again, 0)).isEqualTo(Packets.srcAddress(first, 0));
    assertThat(port(again, 0)).isEqualTo(8257);
    ByteBuffer outside = syn(r, 61000);
    assertThat(Packets.dstAddress(outside, 0)).isEqualTo(REAL);
    assertThat(port(outside, 0)).as("from the cursor, as any flow").isEqualTo(1024);
  }

  @Test
  void forwardedPortsMustFitTheTablesPortRange() {
    NatTable.Builder builder =
        NatTable.builder(ip("198.19.0.1"), ip("198.19.0.1"), 1024, 65535)
            .forwardedPorts(32768, 60999, 40000);
    assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> builder.forwardedPorts(0, 10, 1024))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSessionTakenByAnotherFlowOrAPortOutsideTheRangeIsAllocatedAsUsual() {
    NatTable one =
        NatTable.builder(ip("198.19.0.1"), ip("198.19.0.1"), 1024, 65535)
            .offload(kernel, Ipv4.address(TUN))
            .timeSource(ticker)
            .build();
    PacketRewriter r = rewriter(one);
    ByteBuffer first = syn(r, 40001);
    ByteBuffer otherApp = Packets.tcp(ip("198.18.0.9"), 40001, FAKE, 443, TcpHeader.SYN);
    assertThat(r.rewrite(otherApp)).isEqualTo(Verdict.FORWARD);
    ByteBuffer lowPort = Packets.tcp(APP, 1000, FAKE, 443, TcpHeader.SYN);
    assertThat(r.rewrite(lowPort)).isEqualTo(Verdict.FORWARD);

    assertThat(port(first, 0)).isEqualTo(40001);
    assertThat(port(otherApp, 0)).isNotEqualTo(40001);
    assertThat(port(lowPort, 0)).isNotEqualTo(1000);
    assertThat(one.activeEntries()).isEqualTo(3);
  }

  @Test
  void aReusedPortToAnotherAddressDropsTheOldReplyMapping() {
    ByteBuffer first = syn(rewriter, 40001);
    rewriter.rewrite(fromDestination(first, TcpHeader.RST));
    PacketRewriter elsewhere =
        PacketRewriter.builder(Ipv4.address(TUN), RELAY_PORT, table)
            .captured(ip("198.18.0.0"), ip("198.19.255.255"))
            .flowFilter((protocol, source, sourcePort, destination, port) -> to(ip("203.0.113.11")))
            .build();
    ByteBuffer again = Packets.tcp(APP, 40001, FAKE, 443, TcpHeader.SYN);
    assertThat(elsewhere.rewrite(again)).isEqualTo(Verdict.FORWARD);
    String session = Ipv4.format(Packets.srcAddress(again, 0)) + ":" + port(again, 0);
    assertThat(kernel.forwarded.tuples)
        .containsOnly(
            Map.entry("198.18.0.1:40001 -> 198.18.3.7:443", session + " -> 203.0.113.11:443"),
            Map.entry("203.0.113.11:443 -> " + session, "198.18.3.7:443 -> 198.18.0.1:40001"));
  }

  static FlowFilter.Judgement to(int address) {
    return new FlowFilter.Judgement() {
      @Override
      public FlowFilter.Action action() {
        return FlowFilter.Action.FORWARD;
      }

      @Override
      public int forwardTo() {
        return address;
      }
    };
  }

  /**
   * An ICMP error from {@code router} about {@code segment} (as it left: session to destination),
   * quoting its IPv4 header and the first 8 bytes of TCP.
   */
  static ByteBuffer icmpError(int router, int type, int code, ByteBuffer segment) {
    int quote = 28;
    ByteBuffer b = ByteBuffer.allocate(20 + 8 + quote);
    b.put(0, (byte) 0x45);
    b.putShort(2, (short) b.capacity());
    b.put(8, (byte) 64);
    b.put(9, (byte) 1);
    b.putInt(12, router);
    b.putInt(16, Packets.srcAddress(segment, 0));
    b.put(20, (byte) type);
    b.put(21, (byte) code);
    b.putShort(26, (short) 1400); // the next hop's MTU, for "fragmentation needed"
    b.put(28, segment.array(), 0, quote);
    b.putShort(10, (short) Packets.ipChecksum(b, 0));
    b.putShort(22, (short) Packets.icmpChecksum(b, 0));
    return b;
  }

  @Test
  void anIcmpErrorAboutAForwardedSegmentBecomesOneAboutTheAppsOwn() {
    ByteBuffer syn = syn(rewriter, 40001);
    ByteBuffer needFrag = icmpError(ip("203.0.113.1"), 3, 4, syn);

    assertThat(rewriter.rewrite(needFrag)).isEqualTo(Verdict.FORWARD);

    assertThat(Packets.srcAddress(needFrag, 0)).as("from the fake destination").isEqualTo(FAKE);
    assertThat(Packets.dstAddress(needFrag, 0)).isEqualTo(APP);
    assertThat(Packets.storedIpChecksum(needFrag, 0)).isEqualTo(Packets.ipChecksum(needFrag, 0));
    assertThat(needFrag.getShort(22) & 0xffff).isEqualTo(Packets.icmpChecksum(needFrag, 0));
    assertThat(needFrag.getShort(26)).as("the MTU is kept").isEqualTo((short) 1400);
    int inner = 28;
    assertThat(needFrag.getInt(inner + 12)).isEqualTo(APP);
    assertThat(needFrag.getInt(inner + 16)).isEqualTo(FAKE);
    assertThat(needFrag.getShort(inner + 20) & 0xffff).isEqualTo(40001);
    assertThat(needFrag.getShort(inner + 22) & 0xffff).isEqualTo(443);
    assertThat(needFrag.getShort(inner + 10) & 0xffff)
        .as("the quoted header's checksum")
        .isEqualTo(Packets.ipChecksum(needFrag, inner));
  }

  @Test
  void anIcmpErrorAboutNoForwardedFlowIsDropped() {
    ByteBuffer syn = syn(rewriter, 40001);
    ByteBuffer stray = Packets.tcp(Packets.srcAddress(syn, 0), 40001, REAL, 444, TcpHeader.SYN);
    assertThat(rewriter.rewrite(icmpError(ip("203.0.113.1"), 3, 1, stray))).isEqualTo(Verdict.DROP);
    ByteBuffer notOurs = Packets.tcp(ip("198.19.9.9"), 5000, REAL, 443, TcpHeader.SYN);
    assertThat(rewriter.rewrite(icmpError(ip("203.0.113.1"), 11, 0, notOurs)))
        .isEqualTo(Verdict.DROP);
    assertThat(rewriter.stats().dropped(DropReason.NO_ENTRY)).isEqualTo(2);
  }

  /** What a {@link ForwardedFlows} hears: "started <flow>" and "ended <flow>", in order. */
  static final class Listing implements ForwardedFlows {
    final java.util.List<String> heard = new java.util.ArrayList<>();
    final java.util.List<Runnable> closers = new java.util.ArrayList<>();
    final java.util.List<LongSupplier> uploads = new java.util.ArrayList<>();
    final java.util.List<LongSupplier> downloads = new java.util.ArrayList<>();

    @Override
    public Object started(
        NatFlow flow, Runnable close, LongSupplier upload, LongSupplier download) {
      String text = flow.source() + " -> " + flow.destination();
      heard.add("started " + text);
      closers.add(close);
      uploads.add(upload);
      downloads.add(download);
      return text;
    }

    @Override
    public void ended(Object handle) {
      heard.add("ended " + handle);
    }

    @Override
    public void unanswered(int address, int port) {
      heard.add("unanswered " + Ipv4.format(address) + ":" + port);
    }
  }

  NatTable listed(Listing listing) {
    return NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
        .offload(kernel, Ipv4.address(TUN))
        .forwardedFlows(listing)
        .timeSource(ticker)
        .build();
  }

  /**
   * No relay sees a forwarded flow's bytes: its payload is counted where it passed, the TUN (its
   * SYN, FIN and RST; everything while the fast path is full or missing) and the kernel's fast path
   * (which counts each tuple, told which one carries replies).
   */
  @Test
  void aForwardedFlowsPayloadIsCountedWhereverItPassed() {
    Listing listing = new Listing();
    NatTable listed = listed(listing);
    PacketRewriter r = rewriter(listed);
    ByteBuffer syn = syn(r, 40001);
    int session = Packets.srcAddress(syn, 0);
    int sessionPort = port(syn, 0);
    r.rewrite(fromDestination(syn, TcpHeader.SYN | ACK));
    ByteBuffer up = Packets.tcp(APP, 40001, FAKE, 443, ACK | 0x08, 1, 1, new byte[300], 0);
    ByteBuffer down = Packets.tcp(REAL, 443, session, sessionPort, ACK, 1, 1, new byte[1000], 0);
    assertThat(r.rewrite(up)).isEqualTo(Verdict.FORWARD);
    assertThat(r.rewrite(down)).isEqualTo(Verdict.FORWARD);
    assertThat(listing.uploads.get(0).getAsLong()).as("crossed the TUN").isEqualTo(300);
    assertThat(listing.downloads.get(0).getAsLong()).isEqualTo(1000);

    String toDestination = "198.18.0.1:40001 -> 198.18.3.7:443";
    String toApp = "203.0.113.10:443 -> " + Ipv4.format(session) + ":" + sessionPort;
    assertThat(kernel.forwarded.replies).containsExactly(toApp);
    kernel.forwarded.bytes.put(toDestination, 5_000L);
    kernel.forwarded.bytes.put(toApp, 70_000L);

    assertThat(listing.uploads.get(0).getAsLong()).isEqualTo(5_300);
    assertThat(listing.downloads.get(0).getAsLong()).isEqualTo(71_000);
    assertThat(listed.forwardedBytes(true)).isEqualTo(5_300);
    assertThat(listed.forwardedBytes(false)).isEqualTo(71_000);
  }

  @Test
  void everyForwardedFlowIsListedUntilItsEntryIsFreedAndMayBeClosed() {
    Listing listing = new Listing();
    NatTable listed = listed(listing);
    PacketRewriter r = rewriter(listed);
    String flow = "/198.18.0.1:40001 -> /198.18.3.7:443";

    ByteBuffer first = syn(r, 40001);
    r.rewrite(fromDestination(first, TcpHeader.RST));
    assertThat(listing.heard)
        .as("over at its RST")
        .containsExactly("started " + flow, "ended " + flow);
    syn(r, 40001); // the port reused while the first entry is in its grace: it makes way
    assertThat(listing.heard)
        .containsExactly("started " + flow, "ended " + flow, "started " + flow);

    listing.closers.get(1).run(); // closed from the controller
    assertThat(listing.heard).hasSize(4).last().isEqualTo("ended " + flow);
    assertThat(kernel.forwarded.tuples).as("the kernel no longer carries it").isEmpty();
    ByteBuffer next = fromApp(first, ACK);
    assertThat(r.rewrite(next)).as("the app's next segment").isEqualTo(Verdict.REPLY);
    assertThat(Packets.flags(next, 0) & TcpHeader.RST).isNotZero();
    assertThat(Packets.dstAddress(next, 0)).isEqualTo(APP);
    ByteBuffer data =
        Packets.tcp(REAL, 443, Packets.srcAddress(first, 0), 40001, ACK, 777, 1, new byte[100], 0);
    assertThat(r.rewrite(data)).as("the server's next segment").isEqualTo(Verdict.REPLY);
    assertThat(Packets.flags(data, 0)).isEqualTo(TcpHeader.RST);
    assertThat(data.getInt(24)).as("at the sequence number the app expects").isEqualTo(777);
    assertThat(Packets.srcAddress(data, 0)).isEqualTo(FAKE);
    assertThat(Packets.dstAddress(data, 0)).isEqualTo(APP);
    assertThat(Packets.dstPort(data, 0)).isEqualTo(40001);
    assertThat(Packets.storedTcpChecksum(data, 0)).isEqualTo(Packets.tcpChecksum(data, 0));

    listing.closers.get(1).run(); // again: nothing more
    assertThat(listing.heard).hasSize(4);
    ticker.advance(NatTable.DEFAULT_GRACE);
    assertThat(listed.expire()).isEqualTo(1);
    assertThat(listed.activeEntries()).isZero();
    assertThat(listing.heard).as("told once").hasSize(4);
  }

  @Test
  void udpJudgedForwardGoesToTheRelay() {
    ByteBuffer datagram = Packets.udp(APP, 40001, FAKE, 443, new byte[] {1}, false);
    assertThat(rewriter.rewrite(datagram)).isEqualTo(Verdict.FORWARD);
    assertThat(Packets.dstAddress(datagram, 0)).isEqualTo(TUN);
    assertThat(port(datagram, 2)).isEqualTo(RELAY_PORT);
    assertThat(rewriter.stats().forwardedFlows()).isZero();
    assertThat(rewriter.stats().rejectedFlows()).isZero();
  }
}
