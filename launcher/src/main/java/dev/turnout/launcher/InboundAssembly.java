package dev.turnout.launcher;

import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.inbound.FakeAddresses;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.inbound.listen.Listeners;
import dev.turnout.launcher.config.InboundSettings;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.TimeSource;
import io.netty.channel.EventLoopGroup;
import java.io.Closeable;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the local proxy listeners ({@code mixed-port}, {@code port}, {@code socks-port}, {@code
 * listeners:}) and the tunnels ({@code tunnels:}) to the relay, router and outbounds that captured
 * traffic uses, and to the fake-IP pools, so that a client that resolved a name through Turnout's
 * DNS reaches that name. The listeners live as long as Turnout; they route with the current {@link
 * Generation} (through {@link LiveRouting}), and a listener's {@code proxy} is looked up in it for
 * each connection.
 */
final class InboundAssembly {
  private static final Logger log = LoggerFactory.getLogger(InboundAssembly.class);

  private InboundAssembly() {}

  static void start(
      TurnoutConfig config,
      SharedRelay relay,
      LiveRouting routing,
      List<FakeIpPool> pools,
      EventLoopGroup loops,
      Consumer<Closeable> onStop)
      throws Exception {
    List<ListenerSpec> specs = new ArrayList<>();
    for (ListenerSpec s : config.inbound().listeners()) {
      if (s.kind() == ListenerSpec.Kind.TUNNEL
          && s.proxy() != null
          && routing.current().outbounds.get(s.proxy()) == null) {
        log.warn("inbound: {}: no proxy or group named {}; the tunnel is not opened", s, s.proxy());
      } else {
        specs.add(s);
      }
    }
    if (specs.isEmpty()) {
      return;
    }
    Listeners listeners =
        Listeners.start(
            specs,
            new Listeners.Environment(
                relay.tcp(),
                routing,
                relay.routing(),
                fakes(pools),
                name ->
                    routing.current().outbounds.get(name) == null
                        ? null
                        : new CurrentOutbound(routing, name),
                loops,
                TimeSource.SYSTEM));
    onStop.accept(listeners);
  }

  /** The fake-IP pools as proxy clients meet them. */
  static FakeAddresses fakes(List<FakeIpPool> pools) {
    return new FakeAddresses() {
      @Override
      public boolean isFake(InetAddress address) {
        return pools.stream().anyMatch(p -> p.contains(address));
      }

      @Override
      public Optional<String> nameFor(InetAddress address) {
        for (FakeIpPool pool : pools) {
          if (pool.contains(address)) {
            return pool.nameFor(address);
          }
        }
        return Optional.empty();
      }
    };
  }

  /**
   * For {@code turnout check}: a listener's {@code proxy} must name a proxy or group. A tunnel's
   * need not: the tunnel is not opened ({@link #start}), with a warning, as mihomo's own example
   * names proxies it does not define.
   */
  static void check(TurnoutConfig config, Set<String> policies, Problems problems) {
    for (InboundSettings.ProxyRef ref : config.inbound().proxies()) {
      if (!policies.contains(ref.proxy())) {
        problems.add(
            ref.tunnel() ? Severity.WARNING : Severity.ERROR,
            ref.file(),
            ref.line(),
            ref.path(),
            "listener "
                + ref.listener()
                + ": no proxy or group named "
                + ref.proxy()
                + (ref.tunnel() ? "; the tunnel is not opened" : ""));
      }
    }
  }
}
