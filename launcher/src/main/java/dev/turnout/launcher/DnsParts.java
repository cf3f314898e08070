package dev.turnout.launcher;

import dev.turnout.fakedns.GeoIp;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.outbound.Outbound;
import dev.turnout.rules.ListFetcher;
import dev.turnout.rules.RuleEngine;
import io.netty.channel.EventLoopGroup;
import java.io.Closeable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The DNS side of a {@link Generation}: the domain sets of the rule engine ({@link RuleSets}), the
 * outbounds upstream servers are reached through ({@link DnsOutbounds}) and the resolvers ({@link
 * DnsAssembly}), with everything they opened. A reload whose DNS settings are the same hands these
 * parts on to the next generation, with their caches and connections ({@link #sameAs}); only the
 * outbounds and rules they follow change ({@link #follow}). Closed by the last generation that owns
 * them. Thread-safe once built.
 */
final class DnsParts implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(DnsParts.class);

  final TurnoutConfig config;
  final RuleSets ruleSets;
  final DnsOutbounds outbounds;
  final DnsAssembly assembly;
  private final List<Closeable> opened;
  private final List<ScheduledFuture<?>> refreshes = new ArrayList<>();

  private DnsParts(
      TurnoutConfig config,
      RuleSets ruleSets,
      DnsOutbounds outbounds,
      DnsAssembly assembly,
      List<Closeable> opened) {
    this.config = config;
    this.ruleSets = ruleSets;
    this.outbounds = outbounds;
    this.assembly = assembly;
    this.opened = opened;
  }

  /**
   * Builds the DNS side {@code config} describes; on failure nothing of it is left open.
   *
   * @throws IllegalArgumentException when a set reference, a policy key or a server cannot be used
   * @throws IOException when the system hosts file cannot be read
   */
  static DnsParts build(TurnoutConfig config, EventLoopGroup loops) throws IOException {
    List<Closeable> opened = new ArrayList<>();
    RuleSets ruleSets = new RuleSets(config);
    opened.add(ruleSets);
    try {
      DnsOutbounds outbounds = new DnsOutbounds(loops);
      GeoIp geoIp = config.files().geoipDatabase() == null ? GeoIp.NONE : ruleSets;
      DnsAssembly assembly = DnsAssembly.create(config, ruleSets, geoIp, outbounds, opened::add);
      return new DnsParts(config, ruleSets, outbounds, assembly, opened);
    } catch (IOException | RuntimeException e) {
      closeAll(opened);
      throw e;
    }
  }

  /**
   * Whether {@code next} would build the same DNS side: the same DNS section, hosts, routing mark,
   * fake-IP range, rule providers (the sets) and databases.
   */
  boolean sameAs(TurnoutConfig next) {
    return config.dns().equals(next.dns())
        && config.fakeDns().hosts().equals(next.fakeDns().hosts())
        && config.tun().routingMark() == next.tun().routingMark()
        && config.plan().equals(next.plan())
        && config.ruleProviders().equals(next.ruleProviders())
        && Objects.equals(config.files(), next.files());
  }

  /**
   * Upstream servers are reached through {@code outbounds} and, with respect-rules, {@code rules}.
   */
  void follow(Map<String, Outbound> outbounds, RuleEngine rules) {
    assembly.dialing().useOutbounds(outbounds);
    this.outbounds.useOutbounds(outbounds);
    if (rules != null) {
      this.outbounds.useRules(rules);
    }
  }

  /** Loads the providers of the {@code rule-set:} references with {@code fetcher}. */
  void loadSets(ListFetcher fetcher) {
    ruleSets.load(fetcher);
  }

  /** Refreshes the sets' providers every {@code tick}, until closed. */
  synchronized void scheduleRefresh(ScheduledExecutorService scheduler, Duration tick) {
    if (refreshes.isEmpty()) {
      refreshes.addAll(ruleSets.scheduleRefresh(scheduler, tick));
    }
  }

  /** Empties the resolvers' caches (the controller's POST /cache/dns/flush). */
  void clearCaches() {
    assembly.clearCaches();
  }

  @Override
  public synchronized void close() {
    refreshes.forEach(r -> r.cancel(false));
    refreshes.clear();
    closeAll(opened);
  }

  private static void closeAll(List<Closeable> parts) {
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).close();
      } catch (IOException | RuntimeException e) {
        log.debug("closing the DNS side: {}", e.toString());
      }
    }
  }
}
