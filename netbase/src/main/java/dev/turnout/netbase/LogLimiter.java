package dev.turnout.netbase;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Limits how often one kind of log line is written: a token bucket of {@code burst} lines refilled
 * at {@code perSecond}. A line denied is counted; the next line allowed can say how many were
 * suppressed ({@link #takeSuppressed}). For lines an attacker or a broken peer can trigger per
 * packet or per query. Thread-safe, lock-free, allocation-free.
 */
public final class LogLimiter {
  private final TimeSource clock;
  private final long nanosPerToken;
  private final long burstNanos;
  private final AtomicLong next; // the time from which the bucket is full, as a nanoTime
  private final AtomicLong suppressed = new AtomicLong();

  public LogLimiter(double perSecond, int burst) {
    this(perSecond, burst, TimeSource.SYSTEM);
  }

  public LogLimiter(double perSecond, int burst, TimeSource clock) {
    if (perSecond <= 0 || burst < 1) {
      throw new IllegalArgumentException("rate and burst must be positive");
    }
    this.clock = clock;
    this.nanosPerToken = (long) (1e9 / perSecond);
    this.burstNanos = nanosPerToken * burst;
    this.next = new AtomicLong(clock.nanoTime() - burstNanos);
  }

  /** True if a line may be written now; false (and counted) otherwise. */
  public boolean allow() {
    long now = clock.nanoTime();
    while (true) {
      long current = next.get();
      long start = now - current > burstNanos ? now - burstNanos : current;
      long after = start + nanosPerToken;
      if (after - now > 0) {
        suppressed.incrementAndGet();
        return false;
      }
      if (next.compareAndSet(current, after)) {
        return true;
      }
    }
  }

  /** The number of lines denied since the last call, and resets it. */
  public long takeSuppressed() {
    return suppressed.getAndSet(0);
  }
}
