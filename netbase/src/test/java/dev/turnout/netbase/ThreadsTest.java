package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class ThreadsTest {
  @Test
  void anInterruptedJoinStillWaitsForTheEndAndKeepsTheInterrupt() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    Thread worker = new Thread(() -> awaitQuietly(release));
    worker.start();
    Thread.currentThread().interrupt(); // the join is interrupted at once
    Thread releaser =
        new Thread(
            () -> {
              sleepQuietly(200);
              release.countDown();
            });
    releaser.start();

    Threads.joinUninterruptibly(worker);

    assertThat(worker.isAlive()).isFalse();
    assertThat(Thread.interrupted()).as("the interrupt is kept, and cleared here").isTrue();
    releaser.join();
  }

  @Test
  void aThreadJoiningItselfReturns() throws Exception {
    boolean[] returned = {false};
    Thread self = new Thread(() -> returned[0] = joinSelf());
    self.start();
    self.join(10_000);
    assertThat(returned[0]).isTrue();
  }

  private static boolean joinSelf() {
    Threads.joinUninterruptibly(Thread.currentThread());
    return true;
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
