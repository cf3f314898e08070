package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.ManualTimeSource;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class NatTableTest {
  static final int APP = ip("198.18.0.1");
  static final int FAKE = ip("198.18.3.7");

  final ManualTimeSource ticker = new ManualTimeSource();

  NatTable table(String first, String last, int firstPort, int lastPort) {
    return new NatTable(
        ip(first),
        ip(last),
        firstPort,
        lastPort,
        Duration.ofSeconds(30),
        Duration.ofSeconds(5),
        ticker);
  }

  static FlowKey flow(int appPort) {
    return new FlowKey().set(Packets.TCP, APP, appPort, FAKE, 443);
  }

  static String session(NatEntry entry) {
    return entry.session.toString();
  }

  static InetSocketAddress peer(NatEntry entry) {
    return new InetSocketAddress(Ipv4.address(entry.sessionAddress), entry.sessionPort);
  }

  @Test
  void allocatesPortsThenAddressesThenWrapsAround() {
    NatTable t = table("198.19.0.1", "198.19.0.2", 5000, 5001);
    List<String> sessions = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      sessions.add(session(t.create(flow(40000 + i), 7890)));
    }
    assertThat(sessions)
        .containsExactly(
            "198.19.0.1:5000", "198.19.0.1:5001", "198.19.0.2:5000", "198.19.0.2:5001");
  }

  @Test
  void exhaustionIsCountedAndLiveEntriesAreNeverOverwritten() {
    NatTable t = table("198.19.0.1", "198.19.0.2", 5000, 5001);
    List<NatEntry> entries = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      entries.add(t.create(flow(40000 + i), 7890));
    }

    assertThat(t.create(flow(40004), 7890)).isNull();
    assertThat(t.create(flow(40005), 7890)).isNull();

    assertThat(t.activeEntries()).isEqualTo(4);
    for (int i = 0; i < 4; i++) {
      assertThat(t.lookup(flow(40000 + i))).isSameAs(entries.get(i));
      assertThat(t.lookupSession(entries.get(i).session)).isSameAs(entries.get(i));
    }
    NatStats.Builder stats = new NatStats.Builder();
    t.addTo(stats);
    assertThat(stats.allocationFailures).isEqualTo(2);
  }

  @Test
  void wrapAroundSkipsPairsStillInUse() {
    NatTable t = table("198.19.0.1", "198.19.0.2", 5000, 5001);
    List<NatEntry> entries = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      entries.add(t.create(flow(40000 + i), 7890));
    }
    // Free only the third pair: claim + release it, let the grace pass.
    NatEntry third = entries.get(2);
    assertThat(t.claim(peer(third))).isPresent();
    t.release(peer(third));
    ticker.advance(Duration.ofSeconds(4));
    assertThat(t.expire()).isZero();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(t.expire()).isEqualTo(1);

    NatEntry reused = t.create(flow(50000), 7890);

    assertThat(session(reused)).isEqualTo("198.19.0.2:5000");
    assertThat(t.lookup(flow(40002))).isNull();
    assertThat(t.lookup(flow(50000))).isSameAs(reused);
    assertThat(t.lookupSession(reused.session)).isSameAs(reused);
  }

  @Test
  void claimReturnsTheOriginalFlowOnceAndOnlyForKnownSessions() {
    NatTable t = table("198.19.0.1", "198.19.255.254", 1024, 65535);
    NatEntry e = t.create(flow(40001), 7890);

    var flow = t.claim(peer(e));

    assertThat(flow).isPresent();
    assertThat(flow.get().source()).isEqualTo(new InetSocketAddress("198.18.0.1", 40001));
    assertThat(flow.get().destination()).isEqualTo(new InetSocketAddress("198.18.3.7", 443));
    assertThat(t.claim(peer(e))).isEmpty();
    assertThat(t.claim(new InetSocketAddress("198.19.0.1", 9))).isEmpty();
    assertThat(t.claim(new InetSocketAddress("::1", 1024))).isEmpty();
  }

  @Test
  void claimedEntriesOutliveTheUnclaimedTimeout() {
    NatTable t = table("198.19.0.1", "198.19.255.254", 1024, 65535);
    NatEntry e = t.create(flow(40001), 7890);
    t.claim(peer(e));

    ticker.advance(Duration.ofHours(5));

    assertThat(t.expire()).isZero();
    assertThat(t.lookup(flow(40001))).isSameAs(e);
  }

  @Test
  void unclaimedEntriesExpireAfterTheTimeout() {
    NatTable t = table("198.19.0.1", "198.19.255.254", 1024, 65535);
    NatEntry e = t.create(flow(40001), 7890);

    ticker.advance(Duration.ofSeconds(29));
    assertThat(t.expire()).isZero();
    ticker.advance(Duration.ofSeconds(1));
    assertThat(t.expire()).isEqualTo(1);

    assertThat(t.activeEntries()).isZero();
    assertThat(t.lookup(flow(40001))).isNull();
    assertThat(t.claim(peer(e))).isEmpty();
    NatStats.Builder stats = new NatStats.Builder();
    t.addTo(stats);
    assertThat(stats.entriesExpiredUnclaimed).isEqualTo(1);
  }

  @Test
  void replacedEntryInGraceKeepsItsSessionUntilExpiry() {
    NatTable t = table("198.19.0.1", "198.19.255.254", 1024, 65535);
    NatEntry old = t.create(flow(40001), 7890);
    t.claim(peer(old));
    t.release(peer(old));

    NatEntry fresh = t.create(flow(40001), 7890);
    assertThat(t.lookup(flow(40001))).isSameAs(fresh);
    assertThat(t.lookupSession(old.session)).isSameAs(old);

    ticker.advance(Duration.ofSeconds(5));
    assertThat(t.expire()).isEqualTo(1);
    assertThat(t.lookup(flow(40001))).isSameAs(fresh);
    assertThat(t.lookupSession(old.session)).isNull();
    assertThat(t.activeEntries()).isEqualTo(1);
  }

  @Test
  void releaseOfUnknownOrUnclaimedSessionIsIgnored() {
    NatTable t = table("198.19.0.1", "198.19.255.254", 1024, 65535);
    NatEntry e = t.create(flow(40001), 7890);
    t.release(peer(e));
    t.release(new InetSocketAddress("198.19.9.9", 9999));

    ticker.advance(Duration.ofSeconds(10));

    assertThat(t.expire()).isZero();
    assertThat(t.claim(peer(e))).isPresent();
  }

  @Test
  void concurrentClaimAndReleaseWhileEntriesAreCreatedAndSwept() throws Exception {
    NatTable t = table("198.19.0.1", "198.19.0.4", 1024, 1123); // 400 pairs
    ConcurrentLinkedQueue<InetSocketAddress> created = new ConcurrentLinkedQueue<>();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(5);
    CountDownLatch start = new CountDownLatch(1);
    Set<String> claimedTwice = java.util.concurrent.ConcurrentHashMap.newKeySet();
    List<Future<?>> relays = new ArrayList<>();
    try {
      Future<?> creator =
          pool.submit(
              () -> {
                start.await();
                FlowKey probe = new FlowKey();
                for (int i = 0; i < 20_000; i++) {
                  NatEntry e =
                      t.create(probe.set(Packets.TCP, APP, i % 60000 + 1, FAKE, 443), 7890);
                  if (e != null) {
                    assertThat(t.lookupSession(e.session)).isSameAs(e);
                    created.add(peer(e));
                  }
                  if (i % 100 == 0) {
                    ticker.advance(Duration.ofSeconds(1));
                    t.expire();
                  }
                }
                return null;
              });
      for (int r = 0; r < 4; r++) {
        relays.add(
            pool.submit(
                () -> {
                  start.await();
                  Set<String> mine = new HashSet<>();
                  while (!done.get() || !created.isEmpty()) {
                    InetSocketAddress peer = created.poll();
                    if (peer == null) {
                      continue;
                    }
                    if (t.claim(peer).isPresent()) {
                      if (!mine.add(peer.toString())) {
                        claimedTwice.add(peer.toString()); // fine only after a free + reuse
                      }
                      t.release(peer);
                    }
                  }
                  return null;
                }));
      }
      start.countDown();
      creator.get(60, TimeUnit.SECONDS);
      done.set(true);
      for (Future<?> relay : relays) {
        relay.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    ticker.advance(Duration.ofMinutes(1));
    t.expire();
    assertThat(t.activeEntries()).isZero();
    NatStats.Builder stats = new NatStats.Builder();
    t.addTo(stats);
    assertThat(stats.entriesCreated)
        .isEqualTo(stats.entriesExpiredUnclaimed + stats.entriesFreedAfterGrace);
    assertThat(stats.entriesClaimed).isEqualTo(stats.entriesReleased);
  }
}
