package dev.turnout.launcher;

import dev.turnout.netbase.HostResolver;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyOutbound;
import java.net.InetAddress;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The resolver of the {@code Dialer}, which dials both proxy servers and DIRECT destinations: names
 * of proxy servers go to {@code proxy-server-nameserver}, every other name (DIRECT destinations,
 * rule-provider downloads) to {@code direct-nameserver}; each defaults to the main resolver. The
 * proxies' server names are read from the outbounds, again at most every {@value #REFRESH_SECONDS}
 * s so that proxies a provider adds are known. A name that is both a proxy server and a DIRECT
 * destination resolves as a proxy server. Thread-safe.
 */
final class DialingResolver implements HostResolver {
  static final long REFRESH_SECONDS = 5;

  private final HostResolver proxyServers;
  private final HostResolver direct;
  private volatile Map<String, Outbound> outbounds = Map.of();
  private volatile Set<String> names = Set.of();
  private volatile long namesAt = Long.MIN_VALUE / 2;

  DialingResolver(HostResolver proxyServers, HostResolver direct) {
    this.proxyServers = proxyServers;
    this.direct = direct;
  }

  /** The outbounds whose servers are proxy servers. */
  void useOutbounds(Map<String, Outbound> outbounds) {
    this.outbounds = outbounds;
    this.namesAt = Long.MIN_VALUE / 2;
  }

  @Override
  public CompletionStage<List<InetAddress>> resolve(String host) {
    if (proxyServers == direct) {
      return direct.resolve(host);
    }
    return (proxyServerNames().contains(host.toLowerCase(Locale.ROOT)) ? proxyServers : direct)
        .resolve(host);
  }

  private Set<String> proxyServerNames() {
    long now = System.nanoTime();
    if (now - namesAt > TimeUnit.SECONDS.toNanos(REFRESH_SECONDS)) {
      Set<String> found = new HashSet<>();
      for (Outbound o : outbounds.values()) {
        if (o instanceof ProxyOutbound proxy) {
          found.add(proxy.server().toLowerCase(Locale.ROOT));
        }
      }
      names = Set.copyOf(found);
      namesAt = now;
    }
    return names;
  }
}
