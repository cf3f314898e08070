package dev.turnout.relay;

import java.time.Duration;

/**
 * Tunables of the relay. {@code idleTimeout}: both sides silent this long closes the pair. {@code
 * spliceThreads}: threads relaying plain socket pairs with splice(2), 0 to copy every byte through
 * Netty instead.
 */
public record RelaySettings(Duration idleTimeout, int spliceThreads) {
  public static final RelaySettings DEFAULTS =
      new RelaySettings(
          Duration.ofMinutes(10), Math.max(1, Runtime.getRuntime().availableProcessors() / 2));

  /** These settings with another idle timeout. */
  public RelaySettings withIdleTimeout(Duration idle) {
    return new RelaySettings(idle, spliceThreads);
  }

  /** These settings with another number of splice threads (0: none). */
  public RelaySettings withSpliceThreads(int threads) {
    return new RelaySettings(idleTimeout, threads);
  }
}
