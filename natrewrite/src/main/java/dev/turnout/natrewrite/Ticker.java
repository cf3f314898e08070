package dev.turnout.natrewrite;

/**
 * A source of monotonic nanoseconds, injected so that NAT expiry is tested without sleeping.
 * Implementations must be thread-safe; only differences between two readings are meaningful.
 */
@FunctionalInterface
public interface Ticker {
  /** Current reading in nanoseconds. */
  long read();

  /** The {@link System#nanoTime()} ticker. */
  static Ticker system() {
    return System::nanoTime;
  }
}
