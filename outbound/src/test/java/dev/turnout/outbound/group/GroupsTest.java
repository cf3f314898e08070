package dev.turnout.outbound.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.outbound.UnavailableOutbound;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GroupsTest {
  private final ManualTimeSource clock = new ManualTimeSource();
  private final Fakes.Scheduler scheduler = new Fakes.Scheduler(clock);
  private final Fakes.Prober prober = new Fakes.Prober();
  private final Fakes.Member a = new Fakes.Member("a");
  private final Fakes.Member b = new Fakes.Member("b");
  private final Fakes.Member c = new Fakes.Member("c");
  private static final Duration INTERVAL = Duration.ofSeconds(60);

  private HealthCheck check(boolean lazy) {
    return new HealthCheck(
        URI.create("http://198.51.100.9/"), INTERVAL, Duration.ofSeconds(2), lazy);
  }

  private static Outbound choose(CheckedGroup g, Destination d) {
    return g.choose(g.members.get(), d);
  }

  @Test
  void fallbackMovesOffADeadMemberWithinOneIntervalAndBack() {
    FallbackGroup g =
        new FallbackGroup("fb", new Members(List.of(a, b, c)), check(false), prober, clock);
    prober.delays.putAll(Map.of("a", 10L, "b", 20L, "c", 30L));
    g.start(scheduler);
    assertThat(g.now()).isEqualTo("a");
    prober.delays.remove("a");
    scheduler.advance(INTERVAL);
    assertThat(g.now()).isEqualTo("b");
    prober.delays.put("a", 10L);
    scheduler.advance(INTERVAL);
    assertThat(g.now()).isEqualTo("a");
  }

  /**
   * mihomo's max-failed-times: failed connections in a row through the group check its members at
   * once, so a fallback leaves a member that died since the last check without waiting for the
   * interval; a success in between starts the count again, and a second run within the window does
   * not check again.
   */
  @Test
  void failedConnectionsInARowCheckTheMembersBeforeTheInterval() {
    FallbackGroup g =
        new FallbackGroup("fb", new Members(List.of(a, b)), check(false), prober, clock);
    g.checkAfterFailures(3);
    prober.delays.putAll(Map.of("a", 10L, "b", 20L));
    g.start(scheduler);
    assertThat(prober.probed).hasSize(2);
    Destination d = new Destination("example.org", null, 443);
    prober.delays.remove("a"); // dies between two checks
    g.connect(d, null);
    g.connect(d, null);
    a.answers = true;
    g.connect(d, null); // a success: the count starts again
    a.answers = false;
    g.connect(d, null);
    g.connect(d, null);
    assertThat(prober.probed).as("four failures, not three in a row").hasSize(2);
    assertThat(g.now()).isEqualTo("a");
    g.connect(d, null);
    assertThat(prober.probed).hasSize(4);
    assertThat(g.now()).isEqualTo("b");
    assertThat(b.asked).isEmpty();

    for (int i = 0; i < 3; i++) {
      g.connect(d, null); // b fails too (the destination, say): no second check this minute
    }
    assertThat(prober.probed).hasSize(4);
    clock.advance(CheckedGroup.FAILURE_WINDOW);
    for (int i = 0; i < 3; i++) {
      g.connect(d, null);
    }
    assertThat(prober.probed).hasSize(6);
  }

  @Test
  void aGroupWithDisableUdpRefusesUdpThroughAnyMember() throws Exception {
    var direct = new DirectOutbound(Channels.loopbackDialer());
    SelectGroup select =
        new SelectGroup("s", new Members(List.of(direct)), new SelectionStore(null));
    FallbackGroup fallback =
        new FallbackGroup("f", new Members(List.of(direct)), check(false), prober, clock);
    select.disableUdp();
    fallback.disableUdp();
    for (UdpOutbound g : List.<UdpOutbound>of(select, fallback)) {
      var session = g.openUdp(Channels.loop(), (source, payload) -> payload.release()).await();
      assertThat(session.cause()).hasMessageEndingWith("disable-udp is set");
    }
    SelectGroup open = new SelectGroup("o", new Members(List.of(direct)), new SelectionStore(null));
    var session =
        open.openUdp(Channels.loop(), (source, payload) -> payload.release())
            .get(5, TimeUnit.SECONDS);
    session.close();
  }

  @Test
  void failuresThroughRejectOrWithMaxFailedTimesZeroCheckNothing() {
    FallbackGroup rejecting =
        new FallbackGroup(
            "r", new Members(List.of(new RejectOutbound())), check(false), prober, clock);
    prober.delays.put("REJECT", 1L);
    rejecting.start(scheduler);
    FallbackGroup off =
        new FallbackGroup("off", new Members(List.of(a)), check(false), prober, clock);
    off.checkAfterFailures(0);
    off.start(scheduler);
    assertThat(prober.probed).hasSize(2);
    Destination d = new Destination("example.org", null, 443);
    for (int i = 0; i < 20; i++) {
      assertThat(rejecting.connect(d, Channels.loop()).isSuccess()).isFalse();
      assertThat(off.connect(d, null).isSuccess()).isFalse();
    }
    assertThat(prober.probed).hasSize(2);
  }

  @Test
  void groupsSkipAMemberTurnoutCannotSpeakAsIfItWereDeadAndNeverProbeIt(@TempDir Path dir) {
    UnavailableOutbound hy = new UnavailableOutbound("hy", "hysteria2", "not supported");
    prober.delays.putAll(Map.of("hy", 1L, "a", 50L, "b", 20L));
    FallbackGroup fallback =
        new FallbackGroup("fb", new Members(List.of(hy, a, b)), check(false), prober, clock);
    UrlTestGroup urlTest =
        new UrlTestGroup(
            "ut", new Members(List.of(hy, a, b)), check(false), Duration.ZERO, prober, clock);
    assertThat(urlTest.now()).as("before any check").isEqualTo("a");
    fallback.start(scheduler);
    urlTest.start(scheduler);
    assertThat(fallback.now()).isEqualTo("a");
    assertThat(urlTest.now()).isEqualTo("b");
    assertThat(prober.probed).doesNotContain("hy");
    SelectGroup select = new SelectGroup("s", new Members(List.of(hy, b)), new SelectionStore(dir));
    assertThat(select.now()).isEqualTo("b");
    select.select("hy"); // a user may still choose it, and then sees it fail
    assertThat(select.now()).isEqualTo("hy");
  }

  @Test
  void urlTestPicksTheFastestButKeepsTheCurrentWithinTolerance() {
    UrlTestGroup g =
        new UrlTestGroup(
            "ut",
            new Members(List.of(a, b, c)),
            check(false),
            Duration.ofMillis(50),
            prober,
            clock);
    prober.delays.putAll(Map.of("a", 300L, "b", 100L, "c", 200L));
    g.start(scheduler);
    assertThat(g.now()).isEqualTo("b");
    prober.delays.put("c", 80L); // faster, but by less than the tolerance
    scheduler.advance(INTERVAL);
    assertThat(g.now()).isEqualTo("b");
    prober.delays.put("c", 20L);
    scheduler.advance(INTERVAL);
    assertThat(g.now()).isEqualTo("c");
    prober.delays.remove("c"); // dead: move at once to the fastest alive
    scheduler.advance(INTERVAL);
    assertThat(g.now()).isEqualTo("b");
  }

  @Test
  void lazyGroupChecksOnlyWhileUsed() throws Exception {
    UrlTestGroup g =
        new UrlTestGroup(
            "ut", new Members(List.of(a, b)), check(true), Duration.ZERO, prober, clock);
    g.start(scheduler);
    assertThat(prober.probed).hasSize(2);
    scheduler.advance(INTERVAL.multipliedBy(3));
    assertThat(prober.probed).hasSize(2);
    g.connect(new Destination("x.test", null, 80), null);
    scheduler.advance(INTERVAL);
    assertThat(prober.probed).hasSize(4);
  }

  @Test
  void wallClockJumpsNeitherStopNorHurryTheChecksOfALazyGroup() throws Exception {
    UrlTestGroup g =
        new UrlTestGroup(
            "ut", new Members(List.of(a, b)), check(true), Duration.ZERO, prober, clock);
    g.start(scheduler);
    assertThat(prober.probed).hasSize(2);
    g.connect(new Destination("x.test", null, 80), null);
    clock.setWall(clock.instant().plus(Duration.ofDays(3)));
    scheduler.advance(INTERVAL);
    assertThat(prober.probed).as("set forward: used a minute ago, still checked").hasSize(4);

    clock.setWall(clock.instant().minus(Duration.ofDays(30)));
    scheduler.advance(INTERVAL.multipliedBy(3));
    assertThat(prober.probed).as("set back: idle since, no longer checked").hasSize(4);
    g.connect(new Destination("x.test", null, 80), null);
    scheduler.advance(INTERVAL.multipliedBy(3));
    assertThat(prober.probed).as("once a tick, not in a loop").hasSize(6);
  }

  @Test
  void consistentHashingKeepsADestinationOnOneMemberAndSpreadsMany() throws Exception {
    LoadBalanceGroup g =
        new LoadBalanceGroup(
            "lb",
            new Members(List.of(a, b, c)),
            check(false),
            LoadBalanceGroup.Strategy.CONSISTENT_HASHING,
            prober,
            clock);
    Map<String, String> first = new HashMap<>();
    Set<String> used = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      String host = "host" + i + ".test";
      String m = choose(g, new Destination(host, null, 443)).name();
      first.put(host, m);
      used.add(m);
      assertThat(choose(g, new Destination(host, null, 80)).name()).isEqualTo(m);
    }
    assertThat(used).containsExactlyInAnyOrder("a", "b", "c");
    // Addresses without names hash too.
    Destination literal = new Destination(null, InetAddress.getByName("192.0.2.7"), 80);
    assertThat(choose(g, literal)).isSameAs(choose(g, literal));
    // b dies: only b's destinations move.
    prober.delays.putAll(Map.of("a", 1L, "c", 1L));
    g.start(scheduler);
    for (var e : first.entrySet()) {
      String now = choose(g, new Destination(e.getKey(), null, 443)).name();
      if (!e.getValue().equals("b")) {
        assertThat(now).isEqualTo(e.getValue());
      } else {
        assertThat(now).isIn("a", "c");
      }
    }
  }

  @Test
  void roundRobinTakesAliveMembersInTurn() {
    LoadBalanceGroup g =
        new LoadBalanceGroup(
            "lb",
            new Members(List.of(a, b, c)),
            check(false),
            LoadBalanceGroup.Strategy.ROUND_ROBIN,
            prober,
            clock);
    prober.delays.putAll(Map.of("a", 1L, "c", 1L));
    g.start(scheduler);
    Destination d = new Destination("same.test", null, 1);
    assertThat(List.of(choose(g, d).name(), choose(g, d).name(), choose(g, d).name()))
        .containsExactly("a", "c", "a");
  }

  @Test
  void selectRemembersTheChoiceAcrossARestart(@TempDir Path dir) {
    SelectGroup g = new SelectGroup("sel", new Members(List.of(a, b)), new SelectionStore(dir));
    assertThat(g.now()).isEqualTo("a");
    g.select("b");
    SelectGroup again = new SelectGroup("sel", new Members(List.of(a, b)), new SelectionStore(dir));
    assertThat(again.now()).isEqualTo("b");
    assertThatThrownBy(() -> again.select("zzz")).isInstanceOf(IllegalArgumentException.class);
    // A remembered member that no longer exists falls back to the first.
    assertThat(new SelectGroup("sel", new Members(List.of(c, a)), new SelectionStore(dir)).now())
        .isEqualTo("c");
  }

  @Test
  void nestedGroupsDelegate() throws Exception {
    SelectGroup inner =
        new SelectGroup("inner", new Members(List.of(a, b)), new SelectionStore(null));
    FallbackGroup outer =
        new FallbackGroup("outer", new Members(List.of(inner, c)), check(false), prober, clock);
    inner.select("b");
    outer.connect(new Destination("n.test", null, 1), null);
    assertThat(b.asked).hasSize(1);
  }

  @Test
  void aFixedUrlTestGroupKeepsItsMemberWhileAliveAndRemembersItAcrossARestart(@TempDir Path dir) {
    UrlTestGroup g =
        new UrlTestGroup(
            "ut", new Members(List.of(a, b, c)), check(false), Duration.ZERO, prober, clock);
    g.remember(new SelectionStore(dir));
    prober.delays.putAll(Map.of("a", 300L, "b", 100L, "c", 200L));
    g.start(scheduler);
    assertThat(g.now()).isEqualTo("b");
    assertThat(g.fixed()).isEmpty();
    g.fix("c");
    assertThat(g.now()).isEqualTo("c");
    assertThat(g.fixed()).isEqualTo("c");
    prober.delays.remove("c"); // dead: the group chooses by itself until c is back
    scheduler.advance(INTERVAL);
    assertThat(g.now()).isEqualTo("b");
    assertThat(g.fixed()).isEqualTo("c");

    UrlTestGroup again =
        new UrlTestGroup(
            "ut", new Members(List.of(a, b, c)), check(false), Duration.ZERO, prober, clock);
    again.remember(new SelectionStore(dir));
    assertThat(again.fixed()).isEqualTo("c");
    again.unfix();
    UrlTestGroup third =
        new UrlTestGroup(
            "ut", new Members(List.of(a, b, c)), check(false), Duration.ZERO, prober, clock);
    third.remember(new SelectionStore(dir));
    assertThat(third.fixed()).isEmpty();
    assertThatThrownBy(() -> third.fix("zzz")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aFixedFallbackGroupPrefersItsMemberAndLoadBalanceCannotBeFixed() {
    FallbackGroup g =
        new FallbackGroup("fb", new Members(List.of(a, b, c)), check(false), prober, clock);
    prober.delays.putAll(Map.of("a", 10L, "b", 20L, "c", 30L));
    g.start(scheduler);
    g.fix("b");
    assertThat(g.now()).isEqualTo("b");
    g.unfix();
    assertThat(g.now()).isEqualTo("a");
    LoadBalanceGroup lb =
        new LoadBalanceGroup(
            "lb",
            new Members(List.of(a, b)),
            check(false),
            LoadBalanceGroup.Strategy.ROUND_ROBIN,
            prober,
            clock);
    assertThat(lb.fixable()).isFalse();
    assertThatThrownBy(() -> lb.fix("a")).isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void checkNowProbesEveryMemberOfALazyGroupAndReportsTheResults() throws Exception {
    UrlTestGroup g =
        new UrlTestGroup(
            "ut", new Members(List.of(a, b)), check(true), Duration.ZERO, prober, clock);
    prober.delays.put("a", 42L);
    Map<String, CheckedGroup.Health> results = g.checkNow().toCompletableFuture().get();
    assertThat(results.get("a").delay()).isEqualTo(Duration.ofMillis(42));
    assertThat(results.get("b").alive()).isFalse();
    assertThat(g.now()).isEqualTo("a");
    assertThat(g.testUrl()).isEqualTo(URI.create("http://198.51.100.9/"));
  }

  @Test
  void aFixedMemberAProviderRemovesIsLetGoAndTakenUpAgainWhenItComesBack(@TempDir Path dir) {
    Members members = new Members(List.of(a, b));
    FallbackGroup g = new FallbackGroup("fb", members, check(false), prober, clock);
    g.remember(new SelectionStore(dir));
    prober.delays.putAll(Map.of("a", 10L, "b", 20L, "c", 30L));
    g.start(scheduler);
    g.fix("b");
    assertThat(g.now()).isEqualTo("b");
    members.set(List.of(a, c)); // a provider refresh dropped b
    assertThat(g.now()).isEqualTo("a");
    assertThat(g.fixed()).isEmpty();
    members.set(List.of(a, b, c));
    assertThat(g.now()).isEqualTo("b");
    assertThat(g.fixed()).isEqualTo("b");
  }
}
