package dev.turnout.inbound;

import dev.turnout.outbound.Destination;
import dev.turnout.relay.Connection;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import java.net.InetSocketAddress;
import java.util.function.BiConsumer;

/**
 * Where a listener's protocol handlers send what their clients asked for, so that proxy clients go
 * through the same rules, outbounds and connection list as captured traffic. The handlers parse and
 * reply; an implementation routes, dials and counts ({@link RelayDispatch}; tests use fakes). One
 * per listener; thread-safe.
 */
public interface Dispatch {
  /** The listener this dispatch serves. */
  ListenerSpec listener();

  InboundStats stats();

  /**
   * The origin of a flow from {@code client} to {@code target}: a fake IP stands for its name.
   * Null, counted and logged, when {@code target} is a fake IP that no name maps to any more.
   */
  Origin origin(boolean udp, InetSocketAddress client, Destination target, Inbound kind);

  /**
   * A TCP flow: routes {@code origin}, dials, lets {@code reply} answer the client, then relays
   * bytes both ways ({@link TcpRelay#relay}). Called on {@code client}'s event loop.
   */
  void relay(Channel client, Origin origin, TcpRelay.Handshake reply);

  /**
   * Chooses the route of a flow whose bytes the caller moves itself (HTTP requests, SOCKS5 UDP);
   * {@code done} runs on {@code loop}.
   */
  void route(Origin origin, EventLoop loop, BiConsumer<Router.Route, Throwable> done);

  /**
   * Lists a flow whose bytes the caller moves itself; {@code closer} must end it and lead to {@link
   * Connection#ended}.
   */
  Connection open(Origin origin, Router.Route route, Runnable closer);
}
