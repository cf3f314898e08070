package dev.turnout.launcher;

import dev.turnout.natrewrite.FlowFilter;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import dev.turnout.relay.Sniffer;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;

/**
 * The one reference through which the long-lived data path reaches the current {@link Generation}:
 * the TCP and UDP relays route with it and the TUN loop judges first packets with it. A reload
 * swaps the generation with one volatile write, so every new flow is routed wholly by one
 * configuration (rules and outbounds together: a route carries the outbound of the generation that
 * decided it), while established flows keep the outbound they were dialed with. Each call reads the
 * reference once. Empty until the first generation is swapped in, before any flow can arrive.
 * Thread-safe.
 */
final class LiveRouting implements Router, FlowFilter {
  private volatile Generation current;

  Generation current() {
    return current;
  }

  /** Makes {@code next} the generation for new flows; returns the one it replaces. */
  Generation swap(Generation next) {
    Generation previous = current;
    current = next;
    return previous;
  }

  /** The outbounds {@code policy} leads through right now, for a new flow's chain. */
  List<String> chain(String policy) {
    return Assembly.chain(current.outbounds, policy);
  }

  @Override
  public Route route(Origin origin) {
    return current.router.route(origin);
  }

  @Override
  public boolean mayBlock() {
    return current.router.mayBlock();
  }

  @Override
  public Sniffer sniffer() {
    return current.router.sniffer();
  }

  /** Decides with one generation throughout, even when a swap happens meanwhile. */
  @Override
  public void routeOn(
      Origin origin, Executor blocking, Executor loop, BiConsumer<Route, Throwable> done) {
    current.router.routeOn(origin, blocking, loop, done);
  }

  @Override
  public Judgement judge(
      int protocol,
      InetAddress source,
      int sourcePort,
      InetAddress destination,
      int destinationPort) {
    return current.filter.judge(protocol, source, sourcePort, destination, destinationPort);
  }
}
