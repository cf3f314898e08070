package dev.turnout.launcher.relay;

import java.time.Duration;

/** Tunables of the relay. {@code idleTimeout}: both sides silent this long closes the pair. */
public record RelaySettings(Duration idleTimeout) {
  public static final RelaySettings DEFAULTS = new RelaySettings(Duration.ofMinutes(10));
}
