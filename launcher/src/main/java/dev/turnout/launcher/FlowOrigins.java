package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.launcher.relay.Origin;
import dev.turnout.natrewrite.NatFlow;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a NAT flow into an {@link Origin}: a fake destination becomes the name behind it; any other
 * destination (capture-all mode) stays the real address the application dialed.
 */
public final class FlowOrigins {
  private static final Logger log = LoggerFactory.getLogger(FlowOrigins.class);

  private final FakeIpPool pool;

  public FlowOrigins(FakeIpPool pool) {
    this.pool = pool;
  }

  /**
   * Empty, and logged, for a fake IP that no name maps to (e.g. an answer cached too long). With
   * {@code pin}, a fake destination stays pinned in the pool until {@link #unpin}, so wrap-around
   * never hands the address of a live connection to another name.
   */
  public Optional<Origin> of(NatFlow flow, boolean udp, boolean pin) {
    if (!pool.contains(flow.destinationAddress())) {
      return Optional.of(
          new Origin(udp, flow.source(), flow.destination(), null, flow.destinationAddress()));
    }
    if (pin) {
      pool.pin(flow.destinationAddress()); // before the lookup: no eviction in between
    }
    Optional<String> name = pool.nameFor(flow.destinationAddress());
    if (name.isEmpty()) {
      if (pin) {
        pool.unpin(flow.destinationAddress());
      }
      log.warn(
          "{}: {} dialed fake IP {} that no name maps to (an answer from before a restart?)",
          udp ? "udp" : "tcp",
          flow.source(),
          flow.destination());
      return Optional.empty();
    }
    return Optional.of(new Origin(udp, flow.source(), flow.destination(), name.get(), null));
  }

  /** Ends the pin {@link #of} took for a fake destination; other addresses are ignored. */
  void unpin(Origin origin) {
    if (origin.host() != null) {
      pool.unpin(origin.dialed().getAddress());
    }
  }
}
