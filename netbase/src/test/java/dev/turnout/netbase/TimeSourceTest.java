package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class TimeSourceTest {

  @Test
  void theManualSourceMovesBothReadingsTogetherAndOnlyForward() {
    ManualTimeSource time = new ManualTimeSource();
    long nanos = time.nanoTime();
    Instant instant = time.instant();
    time.advance(Duration.ofMillis(1500));
    assertThat(time.nanoTime() - nanos).isEqualTo(1_500_000_000L);
    assertThat(time.instant()).isEqualTo(instant.plusMillis(1500));
    time.advanceTo(instant.plusSeconds(10));
    assertThat(time.nanoTime() - nanos).isEqualTo(10_000_000_000L);
    assertThat(time.millis()).isEqualTo(instant.plusSeconds(10).toEpochMilli());
    assertThatThrownBy(() -> time.advance(Duration.ofNanos(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> time.advanceTo(instant)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theSystemSourceIsMonotonicAndNearTheWallClock() {
    long a = TimeSource.SYSTEM.nanoTime();
    long b = TimeSource.SYSTEM.nanoTime();
    assertThat(b - a).isNotNegative();
    assertThat(Duration.between(TimeSource.SYSTEM.instant(), Instant.now()).abs())
        .isLessThan(Duration.ofSeconds(5));
  }
}
