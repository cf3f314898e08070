package dev.turnout.netbase;

import java.time.Instant;
import java.time.InstantSource;

/**
 * Turnout's one injectable clock: monotonic nanoseconds for timeouts, expiry and rates, and the
 * wall-clock {@link #instant} for schedules and timestamps. Code takes a {@code TimeSource} instead
 * of calling {@link System#nanoTime} or {@link Instant#now}, so that tests move time with {@link
 * ManualTimeSource} instead of sleeping. Caffeine takes it as {@code timeSource::nanoTime}.
 *
 * <p>Implementations are thread-safe. Only differences between two {@link #nanoTime} readings mean
 * anything; they never go backwards.
 */
public interface TimeSource extends InstantSource {
  /** {@link System#nanoTime} and {@link Instant#now}. */
  TimeSource SYSTEM =
      new TimeSource() {
        @Override
        public long nanoTime() {
          return System.nanoTime();
        }

        @Override
        public Instant instant() {
          return Instant.now();
        }

        @Override
        public String toString() {
          return "TimeSource.SYSTEM";
        }
      };

  /** The monotonic reading in nanoseconds. */
  long nanoTime();
}
