package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Origins;
import dev.turnout.relay.Router;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Origins} from the NAT table and the fake-IP pools: the table gives the flow the
 * application opened (IPv4 or IPv6), the pool of its family the name behind a fake destination. Any
 * other destination (capture-all mode) stays the real address the application dialed.
 */
final class NatOrigins implements Origins {
  private static final Logger log = LoggerFactory.getLogger(NatOrigins.class);

  private final NatTable nat;
  private final FakePools pools;
  private final Map<InetSocketAddress, Origin> claimed = new ConcurrentHashMap<>();

  NatOrigins(NatTable nat, FakePools pools) {
    this.nat = nat;
    this.pools = pools;
  }

  @Override
  public Optional<Origin> claim(InetSocketAddress peer) {
    Optional<NatFlow> flow = nat.claim(peer);
    if (flow.isEmpty()) {
      log.warn("relay: refused {}: not a NAT session", peer);
      return Optional.empty();
    }
    Optional<Origin> origin = pinned(flow.get(), false);
    if (origin.isEmpty()) {
      nat.release(peer);
    } else {
      Origin previous = claimed.put(peer, origin.get());
      if (previous != null) {
        unpin(previous); // a session address reused without a release: no leaked pin
      }
    }
    return origin;
  }

  @Override
  public void release(InetSocketAddress peer) {
    Origin origin = claimed.remove(peer);
    if (origin != null) {
      unpin(origin);
    }
    nat.release(peer);
  }

  @Override
  public Optional<NatFlow> udpFlow(InetSocketAddress peer) {
    return nat.udpFlow(peer);
  }

  @Override
  public Optional<Origin> udpOrigin(NatFlow flow) {
    return pinned(flow, true);
  }

  @Override
  public void udpClosed(Origin origin) {
    unpin(origin);
  }

  /**
   * What {@code flow} stands for, with a fake destination pinned until {@link #unpin}. Empty, and
   * logged, for a fake IP that no name maps to (e.g. an answer cached from before a restart).
   */
  private Optional<Origin> pinned(NatFlow flow, boolean udp) {
    RuleFlowFilter.Judged judged = flow.judgement() instanceof RuleFlowFilter.Judged j ? j : null;
    FakeIpPool pool = pools.owner(flow.destinationAddress());
    if (pool == null) {
      Router.Route route = judged == null ? null : judged.route();
      return Optional.of(
          new Origin(
              udp, flow.source(), flow.destination(), null, flow.destinationAddress(), route));
    }
    pool.pin(flow.destinationAddress()); // before the lookup: no eviction in between
    Optional<String> name = pool.nameFor(flow.destinationAddress());
    if (name.isEmpty()) {
      pool.unpin(flow.destinationAddress());
      log.warn(
          "{}: {} dialed fake IP {} that no name maps to (an answer from before a restart?)",
          udp ? "udp" : "tcp",
          flow.source(),
          flow.destination());
      return Optional.empty();
    }
    Router.Route route = judged != null && name.get().equals(judged.host()) ? judged.route() : null;
    return Optional.of(new Origin(udp, flow.source(), flow.destination(), name.get(), null, route));
  }

  private void unpin(Origin origin) {
    FakeIpPool pool = origin.host() == null ? null : pools.owner(origin.dialed().getAddress());
    if (pool != null) {
      pool.unpin(origin.dialed().getAddress());
    }
  }
}
