package dev.turnout.relay;

import java.time.Duration;

/**
 * Tunables of the relay. {@code idleTimeout}: both sides silent this long closes the pair. {@code
 * splice}: relay plain socket pairs with splice(2) on their event loop; false to copy every byte
 * through Netty instead.
 */
public record RelaySettings(Duration idleTimeout, boolean splice) {
  public static final RelaySettings DEFAULTS = new RelaySettings(Duration.ofMinutes(10), true);

  /** These settings with another idle timeout. */
  public RelaySettings withIdleTimeout(Duration idle) {
    return new RelaySettings(idle, splice);
  }

  /** These settings with splicing on or off. */
  public RelaySettings withSplice(boolean on) {
    return new RelaySettings(idleTimeout, on);
  }
}
