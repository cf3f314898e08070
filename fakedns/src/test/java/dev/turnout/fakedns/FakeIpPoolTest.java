package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class FakeIpPoolTest {
  static final int FIRST = 0xC6120002; // 198.18.0.2
  static final int LAST = 0xC612FFFE; // 198.18.255.254

  private final FakeIpPool pool = new FakeIpPool(FIRST, LAST);

  @Test
  void sameNameSameAddressAndSequentialAllocation() {
    InetAddress a = pool.addressFor("www.example.com");
    assertThat(a.getHostAddress()).isEqualTo("198.18.0.2");
    assertThat(pool.addressFor("www.example.com")).isEqualTo(a);
    assertThat(pool.addressFor("other.example.com").getHostAddress()).isEqualTo("198.18.0.3");
  }

  @Test
  void caseAndTrailingDotDoNotMatter() {
    InetAddress a = pool.addressFor("WWW.Example.COM.");
    assertThat(pool.addressFor("www.example.com")).isEqualTo(a);
    assertThat(pool.nameFor(a)).contains("www.example.com");
  }

  @Test
  void reverseLookup() throws Exception {
    InetAddress a = pool.addressFor("a.test");
    assertThat(pool.nameFor(a)).contains("a.test");
    assertThat(pool.nameFor(InetAddress.getByName("198.18.9.9"))).isEmpty(); // in range, unmapped
    assertThat(pool.nameFor(InetAddress.getByName("10.0.0.1"))).isEmpty();
    assertThat(pool.nameFor(InetAddress.getByName("::1"))).isEmpty();
    assertThat(pool.contains(InetAddress.getByName("198.18.255.254"))).isTrue();
    assertThat(pool.contains(InetAddress.getByName("198.18.255.255"))).isFalse();
    assertThat(pool.contains(InetAddress.getByName("198.18.0.1"))).isFalse();
  }

  @Test
  void fullPoolReusesLeastRecentlyUsed() throws Exception {
    FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A00000E); // 10.0.0.1 .. 10.0.0.14, a /28
    List<InetAddress> first = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      first.add(tiny.addressFor("n" + i + ".test"));
    }
    assertThat(new HashSet<>(first)).hasSize(14);
    tiny.addressFor("n0.test"); // n0 is now recently used; n1 is the oldest
    tiny.nameFor(first.get(2)); // a reverse lookup counts as use too
    InetAddress reused = tiny.addressFor("new.test");
    assertThat(reused).isEqualTo(first.get(1));
    assertThat(tiny.nameFor(reused)).contains("new.test");
    assertThat(tiny.addressFor("n0.test")).isEqualTo(first.get(0));
    assertThat(tiny.nameFor(first.get(2))).contains("n2.test");
    assertThat(tiny.size()).isEqualTo(14);
    // n1 comes back with a different address: the oldest remaining one (n3)
    assertThat(tiny.addressFor("n1.test")).isEqualTo(first.get(3));
    assertThat(tiny.nameFor(first.get(3))).contains("n1.test");
  }

  @Test
  void wrapsManyTimesWithoutDuplicates() {
    FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A000010);
    for (int i = 0; i < 1000; i++) {
      InetAddress a = tiny.addressFor("x" + i);
      assertThat(tiny.nameFor(a)).contains("x" + i);
      assertThat(tiny.contains(a)).isTrue();
    }
    assertThat(tiny.size()).isEqualTo(16);
  }

  @Test
  void flushForgetsEveryMappingButThePinnedOnes() {
    InetAddress kept = pool.addressFor("kept.test");
    InetAddress gone = pool.addressFor("gone.test");
    pool.pin(kept);
    long version = pool.version();
    assertThat(pool.flush()).isEqualTo(1);
    assertThat(pool.version()).isGreaterThan(version);
    assertThat(pool.nameFor(kept)).contains("kept.test");
    assertThat(pool.nameFor(gone)).isEmpty();
    assertThat(pool.size()).isEqualTo(1);
    // The freed address is handed out again, and names keep distinct addresses.
    InetAddress next = pool.addressFor("next.test");
    assertThat(next).isEqualTo(gone);
    assertThat(pool.addressFor("kept.test")).isEqualTo(kept);
    assertThat(pool.flush()).as("next.test only").isEqualTo(1);
    assertThat(pool.flush()).isZero();
  }

  @Test
  void singleAddressPool() {
    FakeIpPool one = new FakeIpPool(0x0A000001, 0x0A000001);
    InetAddress a = one.addressFor("a");
    assertThat(one.addressFor("b")).isEqualTo(a);
    assertThat(one.nameFor(a)).contains("b");
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> new FakeIpPool(0x0A000002, 0x0A000001))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new FakeIpPool(0x01000000, 0x7f000000))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> pool.addressFor(".")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void rangeAcrossTheSignBit() throws Exception {
    FakeIpPool high = new FakeIpPool(0x7FFFFFFF, 0x80000001); // 127.255.255.255 .. 128.0.0.1
    assertThat(high.addressFor("a").getHostAddress()).isEqualTo("127.255.255.255");
    assertThat(high.addressFor("b").getHostAddress()).isEqualTo("128.0.0.0");
    assertThat(high.nameFor(InetAddress.getByName("128.0.0.0"))).contains("b");
  }

  @Test
  void concurrentAllocationIsConsistent() throws Exception {
    int threads = 8;
    int names = 5000;
    ExecutorService executor = Executors.newFixedThreadPool(threads);
    try {
      List<Future<List<InetAddress>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            executor.submit(
                () -> {
                  List<InetAddress> out = new ArrayList<>();
                  for (int i = 0; i < names; i++) {
                    out.add(pool.addressFor("host" + i + ".example"));
                  }
                  return out;
                }));
      }
      List<InetAddress> reference = results.get(0).get();
      for (Future<List<InetAddress>> f : results) {
        assertThat(f.get()).isEqualTo(reference); // every thread saw the same mapping
      }
      Set<InetAddress> distinct = new HashSet<>(reference);
      assertThat(distinct).hasSize(names);
      for (int i = 0; i < names; i++) {
        assertThat(pool.nameFor(reference.get(i))).contains("host" + i + ".example");
      }
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  void pinnedAddressesSurviveWrapAround() {
    FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A00000E); // a /28 less network and broadcast
    InetAddress live = tiny.addressFor("live.test"); // oldest mapping
    assertThat(tiny.pin(live)).isTrue();
    assertThat(tiny.pin(live)).isTrue(); // two connections
    for (int i = 0; i < 200; i++) {
      InetAddress a = tiny.addressFor("churn" + i + ".test");
      assertThat(a).isNotEqualTo(live);
      assertThat(tiny.nameFor(live)).contains("live.test");
    }
    assertThat(tiny.unpin(live)).isTrue(); // one connection left: still pinned
    for (int i = 0; i < 50; i++) {
      assertThat(tiny.addressFor("more" + i + ".test")).isNotEqualTo(live);
    }
    assertThat(tiny.unpin(live)).isTrue();
    assertThat(tiny.unpin(live)).isFalse(); // unbalanced: ignored
    assertThat(tiny.pinnedCount()).isZero();
    // now it is the least recently used one again after enough churn
    boolean reused = false;
    for (int i = 0; i < 14 && !reused; i++) {
      reused = tiny.addressFor("after" + i + ".test").equals(live);
    }
    assertThat(reused).isTrue();
  }

  @Test
  void everyAddressPinnedMeansExhaustedNotEviction() {
    FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A00000E);
    List<InetAddress> all = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      all.add(tiny.addressFor("n" + i + ".test"));
      tiny.pin(all.get(i));
    }
    assertThat(tiny.tryAddressFor("new.test")).isEmpty();
    assertThat(tiny.tryAddressFor("new2.test")).isEmpty();
    assertThatThrownBy(() -> tiny.addressFor("new3.test"))
        .isInstanceOf(IllegalStateException.class);
    assertThat(tiny.exhaustedCount()).isEqualTo(3);
    for (int i = 0; i < 14; i++) {
      assertThat(tiny.nameFor(all.get(i))).contains("n" + i + ".test"); // nothing lost
    }
    assertThat(tiny.addressFor("n5.test")).isEqualTo(all.get(5)); // known names still answer
    tiny.unpin(all.get(9));
    assertThat(tiny.tryAddressFor("new.test")).contains(all.get(9));
  }

  @Test
  void pinningOutsideThePoolIsRefused() throws Exception {
    assertThat(pool.pin(InetAddress.getByName("10.0.0.1"))).isFalse();
    assertThat(pool.pin(InetAddress.getByName("::1"))).isFalse();
    assertThat(pool.unpin(InetAddress.getByName("10.0.0.1"))).isFalse();
  }

  @Test
  void pinnedUnmappedAddressIsSkippedByTheCursor() throws Exception {
    FakeIpPool tiny = new FakeIpPool(0x0A000001, 0x0A000004);
    tiny.pin(InetAddress.getByName("10.0.0.1")); // e.g. a connection from before a restart
    assertThat(tiny.addressFor("a.test").getHostAddress()).isEqualTo("10.0.0.2");
  }

  @Test
  void ipv6Pool() throws Exception {
    FakeIpPool v6 = FakeIpPool.of(InetAddress.getByName("fdfe:dcba:9876::2"), 16);
    InetAddress a = v6.addressFor("www.example.com");
    assertThat(a.getHostAddress()).isEqualTo("fdfe:dcba:9876:0:0:0:0:2");
    assertThat(v6.addressFor("b.example.com").getHostAddress())
        .isEqualTo("fdfe:dcba:9876:0:0:0:0:3");
    assertThat(v6.nameFor(a)).contains("www.example.com");
    assertThat(v6.contains(InetAddress.getByName("fdfe:dcba:9876::11"))).isTrue();
    assertThat(v6.contains(InetAddress.getByName("fdfe:dcba:9876::12"))).isFalse();
    assertThat(v6.contains(InetAddress.getByName("fdfe:dcba:9877::2"))).isFalse();
    assertThat(v6.contains(InetAddress.getByName("198.18.0.2"))).isFalse();
    for (int i = 0; i < 100; i++) {
      assertThat(v6.contains(v6.addressFor("w" + i))).isTrue();
    }
    assertThatThrownBy(
            () ->
                FakeIpPool.of(InetAddress.getByName("ffff:ffff:ffff:ffff:ffff:ffff:ffff:fff0"), 32))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void ofCidr() {
    FakeIpPool v6 = FakeIpPool.ofCidr("fdfe:dcba:9876::/64");
    assertThat(v6.firstAddress().getHostAddress()).isEqualTo("fdfe:dcba:9876:0:0:0:0:1");
    assertThat(v6.capacity()).isEqualTo(1 << 24);
    FakeIpPool v4 = FakeIpPool.ofCidr("10.1.2.0/28");
    assertThat(v4.firstAddress().getHostAddress()).isEqualTo("10.1.2.1");
    assertThat(v4.capacity()).isEqualTo(14);
    assertThat(FakeIpPool.ofCidr("fd00::ff/120").capacity()).isEqualTo(255);
    for (String bad :
        List.of("fd00::/128", "10.0.0.0/31", "fd00::", "x/64", "fd00::/129", "fd00::/z")) {
      assertThatThrownBy(() -> FakeIpPool.ofCidr(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
