package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.launcher.relay.Origin;
import dev.turnout.launcher.relay.OriginLookup;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.natrewrite.NatTable;
import java.net.InetSocketAddress;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers an accepted connection's origin: the NAT table gives the original flow, the fake-IP pool
 * gives the name behind the fake destination.
 */
final class NatOrigins implements OriginLookup {
  private static final Logger log = LoggerFactory.getLogger(NatOrigins.class);

  private final NatTable nat;
  private final FakeIpPool pool;

  NatOrigins(NatTable nat, FakeIpPool pool) {
    this.nat = nat;
    this.pool = pool;
  }

  @Override
  public Optional<Origin> claim(InetSocketAddress peer) {
    Optional<NatFlow> claimed = nat.claim(peer);
    if (claimed.isEmpty()) {
      log.warn("relay: refused {}: not a NAT session", peer);
      return Optional.empty();
    }
    NatFlow flow = claimed.get();
    if (!pool.contains(flow.destinationAddress())) {
      nat.release(peer);
      log.warn(
          "relay: {} dialed {}, outside the fake-IP pool; only fake-IP connections are captured",
          flow.source(),
          flow.destination());
      return Optional.empty();
    }
    Optional<String> name = pool.nameFor(flow.destinationAddress());
    if (name.isEmpty()) {
      nat.release(peer);
      log.warn(
          "relay: {} dialed fake IP {} that no name maps to (an answer from before a restart?)",
          flow.source(),
          flow.destination());
      return Optional.empty();
    }
    return Optional.of(new Origin(flow.source(), flow.destination(), name.get(), null));
  }

  @Override
  public void release(InetSocketAddress peer) {
    nat.release(peer);
  }
}
