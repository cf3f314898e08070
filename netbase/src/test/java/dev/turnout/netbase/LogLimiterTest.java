package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class LogLimiterTest {
  private final ManualTimeSource clock = new ManualTimeSource();

  @Test
  void aBurstPassesThenLinesAreCountedUntilTokensRefill() {
    LogLimiter limiter = new LogLimiter(10, 3, clock);
    assertThat(limiter.allow()).isTrue();
    assertThat(limiter.allow()).isTrue();
    assertThat(limiter.allow()).isTrue();
    assertThat(limiter.allow()).isFalse();
    assertThat(limiter.allow()).isFalse();
    assertThat(limiter.takeSuppressed()).isEqualTo(2);
    assertThat(limiter.takeSuppressed()).isZero();
    clock.advance(Duration.ofMillis(100)); // one token at 10 per second
    assertThat(limiter.allow()).isTrue();
    assertThat(limiter.allow()).isFalse();
  }

  @Test
  void aLongQuietSpellRefillsOnlyUpToTheBurst() {
    LogLimiter limiter = new LogLimiter(1, 2, clock);
    clock.advance(Duration.ofHours(1));
    assertThat(limiter.allow()).isTrue();
    assertThat(limiter.allow()).isTrue();
    assertThat(limiter.allow()).isFalse();
  }

  @Test
  void manyThreadsNeverGetMoreThanTheBurst() throws Exception {
    LogLimiter limiter = new LogLimiter(0.001, 50, clock);
    java.util.concurrent.atomic.AtomicInteger allowed =
        new java.util.concurrent.atomic.AtomicInteger();
    Thread[] threads = new Thread[4];
    for (int t = 0; t < threads.length; t++) {
      threads[t] =
          new Thread(
              () -> {
                for (int i = 0; i < 10_000; i++) {
                  if (limiter.allow()) {
                    allowed.incrementAndGet();
                  }
                }
              });
      threads[t].start();
    }
    for (Thread t : threads) {
      t.join();
    }
    assertThat(allowed.get()).isEqualTo(50);
    assertThat(limiter.takeSuppressed()).isEqualTo(40_000 - 50);
  }
}
