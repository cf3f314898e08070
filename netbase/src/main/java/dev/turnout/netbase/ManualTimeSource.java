package dev.turnout.netbase;

import java.time.Duration;
import java.time.Instant;

/**
 * A {@link TimeSource} that moves only when told to: the fake every module's tests use for expiry
 * and schedules. Both readings move together; they start at 1 s of nanos and 2025-01-01T00:00:00Z.
 * Thread-safe.
 */
public final class ManualTimeSource implements TimeSource {
  private long nanos = 1_000_000_000L; // guarded by this
  private Instant instant = Instant.parse("2025-01-01T00:00:00Z"); // guarded by this

  @Override
  public synchronized long nanoTime() {
    return nanos;
  }

  @Override
  public synchronized Instant instant() {
    return instant;
  }

  /**
   * Moves both readings forward by {@code duration}.
   *
   * @throws IllegalArgumentException if {@code duration} is negative: monotonic time never goes
   *     back
   */
  public synchronized void advance(Duration duration) {
    if (duration.isNegative()) {
      throw new IllegalArgumentException("time does not go back: " + duration);
    }
    nanos += duration.toNanos();
    instant = instant.plus(duration);
  }

  /**
   * Sets the wall clock anywhere, backwards included, as NTP or an administrator may; monotonic
   * time does not move.
   */
  public synchronized void setWall(Instant wall) {
    instant = wall;
  }

  /** Moves both readings forward to wall time {@code target} (never back). */
  public synchronized void advanceTo(Instant target) {
    advance(Duration.between(instant, target));
  }
}
