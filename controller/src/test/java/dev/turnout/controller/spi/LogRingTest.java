package dev.turnout.controller.spi;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class LogRingTest {
  @Test
  void aReaderSeesEventsPublishedAfterItOpenedInOrder() {
    LogRing ring = new LogRing(8);
    ring.publish(1, "before");
    assertThat(ring.hasReaders()).isFalse();
    try (LogRing.Cursor cursor = ring.cursor()) {
      assertThat(ring.hasReaders()).isTrue();
      ring.publish(1, "one");
      ring.publish(3, "two");
      List<String> seen = new ArrayList<>();
      assertThat(cursor.poll(10, e -> seen.add(e.type() + " " + e.payload()))).isEqualTo(2);
      assertThat(seen).containsExactly("info one", "error two");
      assertThat(cursor.poll(10, e -> seen.add("more"))).isZero();
    }
    assertThat(ring.hasReaders()).isFalse();
  }

  @Test
  void aReaderThatFallsBehindLosesTheOldestAndCountsThem() {
    LogRing ring = new LogRing(8);
    LogRing.Cursor cursor = ring.cursor();
    for (int i = 0; i < 20; i++) {
      ring.publish(1, "e" + i);
    }
    List<String> seen = new ArrayList<>();
    cursor.poll(100, e -> seen.add(e.payload()));
    assertThat(seen).containsExactly("e12", "e13", "e14", "e15", "e16", "e17", "e18", "e19");
    assertThat(cursor.dropped()).isEqualTo(12);
    // The batch limit leaves the rest for the next poll.
    ring.publish(1, "a");
    ring.publish(1, "b");
    assertThat(cursor.poll(1, e -> seen.add(e.payload()))).isEqualTo(1);
    assertThat(cursor.poll(1, e -> seen.add(e.payload()))).isEqualTo(1);
    assertThat(seen).endsWith("a", "b");
  }

  @Test
  void concurrentPublishersLoseNothingAReaderKeepsUpWith() throws Exception {
    LogRing ring = new LogRing(1 << 16);
    LogRing.Cursor cursor = ring.cursor();
    int threads = 4;
    int each = 10_000;
    CountDownLatch start = new CountDownLatch(1);
    List<Thread> publishers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread thread =
          new Thread(
              () -> {
                try {
                  start.await();
                } catch (InterruptedException e) {
                  return;
                }
                for (int i = 0; i < each; i++) {
                  ring.publish(i % 4, id + ":" + i);
                }
              });
      thread.start();
      publishers.add(thread);
    }
    start.countDown();
    Set<String> seen = new HashSet<>();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (seen.size() < threads * each && System.nanoTime() < deadline) {
      cursor.poll(1000, e -> assertThat(seen.add(e.payload())).isTrue());
    }
    for (Thread thread : publishers) {
      thread.join(10_000);
    }
    assertThat(seen).hasSize(threads * each);
    assertThat(cursor.dropped()).isZero();
  }
}
