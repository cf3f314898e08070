package dev.turnout.inbound.listen;

import dev.turnout.inbound.FakeAddresses;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.RelayDispatch;
import dev.turnout.inbound.socks.UdpAssociations;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Outbound;
import dev.turnout.relay.Router;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.channel.EventLoopGroup;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The local proxy listeners of a running Turnout, started together and closed together. Proxy
 * clients share the captured traffic's relay, router and connection list. Starting logs each
 * listener, and one loud warning naming every listener that other hosts can reach without
 * credentials. Thread-safe.
 */
public final class Listeners implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Listeners.class);

  /**
   * What the listeners share.
   *
   * @param blocking where the router runs when it may block
   * @param outbounds the outbound of a listener's fixed {@code proxy} by name (null if none)
   */
  public record Environment(
      TcpRelay tcp,
      Router router,
      Executor blocking,
      FakeAddresses fakes,
      Function<String, Outbound> outbounds,
      EventLoopGroup loops,
      TimeSource clock) {}

  private final List<ProxyListener> started;
  private final InboundStats stats;

  private Listeners(List<ProxyListener> started, InboundStats stats) {
    this.started = started;
    this.stats = stats;
  }

  /**
   * Binds every listener of {@code specs}; if one cannot be bound, those already bound are closed
   * and the failure is thrown with the listener's name and address.
   */
  public static Listeners start(List<ListenerSpec> specs, Environment environment)
      throws Exception {
    InboundStats stats = new InboundStats();
    List<ProxyListener> started = new ArrayList<>();
    try {
      for (ListenerSpec spec : specs) {
        RelayDispatch dispatch =
            new RelayDispatch(
                spec,
                environment.tcp(),
                environment.router(),
                environment.blocking(),
                environment.fakes(),
                fixedRoute(spec, environment.outbounds()),
                stats);
        try {
          started.add(
              ProxyListener.start(
                  environment.loops(),
                  dispatch,
                  UdpAssociations.Limits.DEFAULTS,
                  environment.clock()));
        } catch (Exception e) {
          throw new java.io.IOException("cannot listen for " + spec + ": " + e.getMessage(), e);
        }
      }
    } catch (Exception e) {
      started.forEach(ProxyListener::close);
      throw e;
    }
    Listeners listeners = new Listeners(List.copyOf(started), stats);
    listeners.announce();
    return listeners;
  }

  /** The route of every connection of a listener with {@code proxy}, or null to ask the rules. */
  static Router.Route fixedRoute(ListenerSpec spec, Function<String, Outbound> outbounds) {
    if (spec.proxy() == null) {
      return null;
    }
    Outbound outbound = outbounds.apply(spec.proxy());
    if (outbound == null) {
      throw new IllegalArgumentException(
          "listener " + spec.name() + ": no proxy or group named " + spec.proxy());
    }
    return new Router.Route(spec.proxy(), "IN-NAME", "listener " + spec.name(), outbound);
  }

  private void announce() {
    for (ProxyListener listener : started) {
      ListenerSpec spec = listener.spec();
      log.info(
          "inbound: {}{}{}{}",
          listener,
          (spec.tls() != null ? ", TLS" : "")
              + (spec.wsPath() != null ? ", WebSocket at " + spec.wsPath() : ""),
          spec.authentication().enabled() ? ", " + spec.authentication() : "",
          spec.proxy() != null ? ", every connection via " + spec.proxy() : "");
    }
    String open =
        started.stream()
            .map(ProxyListener::spec)
            .filter(
                s -> s.exposed() && !s.authentication().enabled() && s.kind().openWithoutUsers())
            .map(ListenerSpec::toString)
            .collect(Collectors.joining(", "));
    if (!open.isEmpty()) {
      log.warn(
          "SECURITY: {} accept connections from other hosts WITHOUT AUTHENTICATION: anyone who"
              + " can reach them uses your proxies and your network. Set authentication"
              + " (or the listener's users), restrict lan-allowed-ips, or turn allow-lan off.",
          open);
    }
  }

  public List<ProxyListener> listeners() {
    return started;
  }

  public InboundStats stats() {
    return stats;
  }

  @Override
  public void close() {
    started.forEach(ProxyListener::close);
    log.info("inbound: listeners closed; {}", stats);
  }
}
