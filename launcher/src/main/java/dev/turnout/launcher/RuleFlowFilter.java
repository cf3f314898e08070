package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.natrewrite.FlowFilter;
import dev.turnout.netbase.LogLimiter;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.Network;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Decides a flow on its first packet, before the kernel accepts anything, whenever every decision
 * is pure computation (no rule resolves names or looks up processes). A REJECT rule answers a SYN
 * with a RST (a UDP datagram with ICMP port unreachable) and REJECT-DROP never answers, so a
 * rejected flow costs no socket and no NAT entry; any other route travels with the NAT entry to the
 * relay ({@link Judged}), which does not decide again. Otherwise the flow is left undecided and the
 * relay's {@link RuleRouter} decides. A DIRECT flow that {@link DirectNat} lets the kernel forward
 * is judged {@link Action#FORWARD} to its real address; {@link ForwardedConnections} logs it once
 * the NAT has taken it (no relay sees it), and the relay as usual if the NAT could not. One filter
 * per {@link Generation}: it decides with that configuration's rules, mode applied.
 */
final class RuleFlowFilter implements FlowFilter {
  private static final int UDP = 17;

  /** How long a rejected flow's retransmissions stay unlogged after its first line. */
  private static final long QUIET_NANOS = 10_000_000_000L;

  private static final int RECENT = 1024; // a power of two

  private final RuleRouter router;
  private final FakePools pools;
  private final DirectNat directNat;
  // Rejected flows logged lately, direct-mapped by hash; only the TUN reader thread judges.
  private final long[] recentKeys = new long[RECENT];
  private final long[] recentTimes = new long[RECENT];
  // Many distinct rejected flows (a scan, a flood) are logged at this rate at most.
  private final LogLimiter rejections = new LogLimiter(50, 200);

  RuleFlowFilter(RuleRouter router, FakePools pools) {
    this(router, pools, DirectNat.OFF);
  }

  RuleFlowFilter(RuleRouter router, FakePools pools, DirectNat directNat) {
    this.router = router;
    this.pools = pools;
    this.directNat = directNat;
  }

  /**
   * An accepted flow, the route chosen for it and the name its fake destination stood for then
   * (null for a real destination): the route holds only while the address still means that name.
   * With {@code forwardTo} (not 0) the kernel forwards it to that IPv4 address, and {@code origin}
   * is the flow as logged, for the controller's list; should the NAT not manage (too many forwarded
   * flows), the relay takes it with the same route.
   */
  record Judged(Router.Route route, String host, int forwardTo, Origin origin)
      implements Judgement {
    Judged(Router.Route route, String host) {
      this(route, host, 0, null);
    }

    @Override
    public Action action() {
      return forwardTo == 0 ? Action.ACCEPT : Action.FORWARD;
    }
  }

  @Override
  public Judgement judge(
      int protocol,
      InetAddress source,
      int sourcePort,
      InetAddress destination,
      int destinationPort) {
    if (router.mayBlock()) {
      return Judgement.UNDECIDED;
    }
    ConnectionInfo.Builder connection =
        ConnectionInfo.builder(protocol == UDP ? Network.UDP : Network.TCP)
            .source(source, sourcePort)
            .inbound(Inbound.TUN.type(), Inbound.TUN.name(), Inbound.TUN.port());
    String host = null;
    FakeIpPool pool = pools.owner(destination);
    if (pool != null) {
      Optional<String> name = pool.nameFor(destination);
      if (name.isEmpty()) {
        return Judgement.UNDECIDED; // the relay explains in its log why it refuses
      }
      host = name.get();
      connection.host(host).destination(null, destinationPort);
    } else if (protocol == UDP
        ? router.sniffer().sniffsUdp(destinationPort)
        : router.sniffer().sniffs(destinationPort)) {
      return Judgement.UNDECIDED; // its first bytes may name it: the relay sniffs, then decides
    } else {
      connection.destination(destination, destinationPort);
    }
    Router.Route route = router.quickRoute(connection::build);
    if (route == null) {
      return Judgement.UNDECIDED; // the mode changed to rule meanwhile: the relay decides
    }
    Judgement judgement =
        switch (route.policy()) {
          case RejectOutbound.REJECT -> Judgement.REJECT;
          case RejectOutbound.REJECT_DROP -> Judgement.DROP;
          default -> new Judged(route, host);
        };
    if (judgement.action() == Action.ACCEPT) {
      int forwardTo = directNat.target(protocol != UDP, route, host, destination, destinationPort);
      if (forwardTo == 0) {
        return judgement;
      }
      return new Judged(
          route,
          host,
          forwardTo,
          origin(protocol, source, sourcePort, destination, destinationPort, host));
    }
    if (firstSighting(protocol, source, sourcePort, destination, destinationPort)
        && rejections.allow()) {
      long suppressed = rejections.takeSuppressed();
      if (suppressed > 0) {
        ConnectionLog.CONNECTIONS.info("{} more rejected flows were not logged", suppressed);
      }
      ConnectionLog.routed(
          origin(protocol, source, sourcePort, destination, destinationPort, host), route, true);
    }
    return judgement;
  }

  private static Origin origin(
      int protocol,
      InetAddress source,
      int sourcePort,
      InetAddress destination,
      int destinationPort,
      String host) {
    return new Origin(
        protocol == UDP,
        new InetSocketAddress(source, sourcePort),
        new InetSocketAddress(destination, destinationPort),
        host,
        host == null ? destination : null);
  }

  /**
   * False for a flow logged in the last 10 s: a rejected flow has no NAT entry, so every
   * retransmitted SYN or datagram is judged again, and would be logged again.
   */
  private boolean firstSighting(
      int protocol, InetAddress source, int sourcePort, InetAddress destination, int port) {
    long key =
        ((long) source.hashCode() << 32 | destination.hashCode() & 0xffffffffL)
            ^ ((long) protocol << 56 | (long) sourcePort << 16 | port);
    int slot = (int) (key ^ key >>> 29) & (RECENT - 1);
    long now = System.nanoTime();
    if (recentKeys[slot] == key && now - recentTimes[slot] < QUIET_NANOS) {
      return false;
    }
    recentKeys[slot] = key;
    recentTimes[slot] = now;
    return true;
  }
}
