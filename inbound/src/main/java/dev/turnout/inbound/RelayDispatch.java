package dev.turnout.inbound;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Connection;
import dev.turnout.relay.ConnectionLog;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * The {@link Dispatch} of a running Turnout: the shared {@link TcpRelay}, {@link Router} and {@link
 * Connections}, and the fake-IP pools. A listener with a {@code proxy} gives every origin that
 * route up front, so the rules are not asked. Thread-safe.
 */
public final class RelayDispatch implements Dispatch {
  private final ListenerSpec listener;
  private final TcpRelay tcp;
  private final Router router;
  private final Executor blocking;
  private final Connections connections;
  private final FakeAddresses fakes;
  private final Router.Route fixed;
  private final InboundStats stats;

  /**
   * @param fixed the route of every flow of this listener, or null to ask {@code router}
   * @param blocking where {@code router} runs when it may block
   */
  public RelayDispatch(
      ListenerSpec listener,
      TcpRelay tcp,
      Router router,
      Executor blocking,
      FakeAddresses fakes,
      Router.Route fixed,
      InboundStats stats) {
    this.listener = listener;
    this.tcp = tcp;
    this.router = router;
    this.blocking = blocking;
    this.connections = tcp.connections();
    this.fakes = fakes;
    this.fixed = fixed;
    this.stats = stats;
  }

  @Override
  public ListenerSpec listener() {
    return listener;
  }

  @Override
  public InboundStats stats() {
    return stats;
  }

  @Override
  public Origin origin(boolean udp, InetSocketAddress client, Destination target, Inbound kind) {
    InetAddress address =
        target.address() != null ? target.address() : IpLiterals.parseHostOrNull(target.host());
    int port = target.port();
    if (address == null) {
      InetSocketAddress dialed = InetSocketAddress.createUnresolved(target.host(), port);
      return new Origin(udp, client, dialed, target.host(), null, fixed, kind);
    }
    InetSocketAddress dialed = new InetSocketAddress(address, port);
    if (!fakes.isFake(address)) {
      return new Origin(udp, client, dialed, null, address, fixed, kind);
    }
    Optional<String> name = fakes.nameFor(address);
    if (name.isEmpty()) {
      stats.bad(
          InboundStats.Event.UNKNOWN_FAKE_IP,
          "{}: {} asked for fake IP {} that no name maps to (an answer from before a restart?)",
          listener.name(),
          client,
          dialed);
      return null;
    }
    return new Origin(udp, client, dialed, name.get(), null, fixed, kind);
  }

  @Override
  public void relay(Channel client, Origin origin, TcpRelay.Handshake reply) {
    tcp.relay(client, origin, reply);
  }

  @Override
  public void route(Origin origin, EventLoop loop, BiConsumer<Router.Route, Throwable> done) {
    router.routeOn(
        origin,
        blocking,
        loop,
        (route, error) -> {
          if (error != null) {
            ConnectionLog.problem("{} routing failed: {}", origin.target(), error.toString());
          } else {
            ConnectionLog.routed(origin, route, false);
          }
          done.accept(route, error);
        });
  }

  @Override
  public Connection open(Origin origin, Router.Route route, Runnable closer) {
    return connections.open(origin, origin.inbound(), route, closer);
  }
}
