package dev.turnout.outbound.group;

import java.net.URI;
import java.time.Duration;

/**
 * How a group checks its members (its {@code url}, {@code interval}, {@code timeout}, {@code lazy}
 * and {@code expected-status}), or how a proxy provider's {@code health-check:} asks the groups
 * that use it and have no {@code url} of their own to check. A null {@code url} (a load-balance
 * group written without one) means no checks: Turnout never probes a built-in public address on the
 * user's behalf. Immutable.
 */
public record HealthCheck(
    URI url, Duration interval, Duration timeout, boolean lazy, ExpectedStatus expected) {
  public HealthCheck(URI url, Duration interval, Duration timeout, boolean lazy) {
    this(url, interval, timeout, lazy, ExpectedStatus.ANY);
  }
}
