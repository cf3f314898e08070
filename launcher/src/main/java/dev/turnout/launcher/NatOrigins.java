package dev.turnout.launcher;

import dev.turnout.launcher.relay.Origin;
import dev.turnout.launcher.relay.OriginLookup;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.natrewrite.NatTable;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Recovers an accepted connection's origin: the NAT table gives the original flow, the fake-IP pool
 * gives the name behind the fake destination.
 */
final class NatOrigins implements OriginLookup {
  private static final Logger log = LoggerFactory.getLogger(NatOrigins.class);

  private final NatTable nat;
  private final FlowOrigins origins;
  private final Map<InetSocketAddress, Origin> live = new ConcurrentHashMap<>();

  NatOrigins(NatTable nat, FlowOrigins origins) {
    this.nat = nat;
    this.origins = origins;
  }

  @Override
  public Optional<Origin> claim(InetSocketAddress peer) {
    Optional<NatFlow> claimed = nat.claim(peer);
    if (claimed.isEmpty()) {
      log.warn("relay: refused {}: not a NAT session", peer);
      return Optional.empty();
    }
    Optional<Origin> origin = origins.of(claimed.get(), false, true);
    if (origin.isEmpty()) {
      nat.release(peer);
    } else {
      Origin previous = live.put(peer, origin.get());
      if (previous != null) {
        origins.unpin(previous); // a session address reused without a release: no leaked pin
      }
    }
    return origin;
  }

  @Override
  public void release(InetSocketAddress peer) {
    Origin origin = live.remove(peer);
    if (origin != null) {
      origins.unpin(origin);
    }
    nat.release(peer);
  }
}
