package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
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
    Inet4Address a = pool.addressFor("www.example.com");
    assertThat(a.getHostAddress()).isEqualTo("198.18.0.2");
    assertThat(pool.addressFor("www.example.com")).isEqualTo(a);
    assertThat(pool.addressFor("other.example.com").getHostAddress()).isEqualTo("198.18.0.3");
  }

  @Test
  void caseAndTrailingDotDoNotMatter() {
    Inet4Address a = pool.addressFor("WWW.Example.COM.");
    assertThat(pool.addressFor("www.example.com")).isEqualTo(a);
    assertThat(pool.nameFor(a)).contains("www.example.com");
  }

  @Test
  void reverseLookup() throws Exception {
    Inet4Address a = pool.addressFor("a.test");
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
    List<Inet4Address> first = new ArrayList<>();
    for (int i = 0; i < 14; i++) {
      first.add(tiny.addressFor("n" + i + ".test"));
    }
    assertThat(new HashSet<>(first)).hasSize(14);
    tiny.addressFor("n0.test"); // n0 is now recently used; n1 is the oldest
    tiny.nameFor(first.get(2)); // a reverse lookup counts as use too
    Inet4Address reused = tiny.addressFor("new.test");
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
      Inet4Address a = tiny.addressFor("x" + i);
      assertThat(tiny.nameFor(a)).contains("x" + i);
      assertThat(tiny.contains(a)).isTrue();
    }
    assertThat(tiny.size()).isEqualTo(16);
  }

  @Test
  void singleAddressPool() {
    FakeIpPool one = new FakeIpPool(0x0A000001, 0x0A000001);
    Inet4Address a = one.addressFor("a");
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
      List<Future<List<Inet4Address>>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(
            executor.submit(
                () -> {
                  List<Inet4Address> out = new ArrayList<>();
                  for (int i = 0; i < names; i++) {
                    out.add(pool.addressFor("host" + i + ".example"));
                  }
                  return out;
                }));
      }
      List<Inet4Address> reference = results.get(0).get();
      for (Future<List<Inet4Address>> f : results) {
        assertThat(f.get()).isEqualTo(reference); // every thread saw the same mapping
      }
      Set<Inet4Address> distinct = new HashSet<>(reference);
      assertThat(distinct).hasSize(names);
      for (int i = 0; i < names; i++) {
        assertThat(pool.nameFor(reference.get(i))).contains("host" + i + ".example");
      }
    } finally {
      executor.shutdownNow();
    }
  }
}
