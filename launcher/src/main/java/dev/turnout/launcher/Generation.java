package dev.turnout.launcher;

import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.FakeDnsHandler;
import dev.turnout.fakedns.Hosts;
import dev.turnout.fakedns.Upstream;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.Ipv4;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.rules.RuleEngine;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded configuration's routing, the part a reload replaces whole: the DNS upstreams (kept
 * from the previous generation when the nameservers did not change, with their cache), the dialer,
 * the outbounds and groups with their health checks, the rule engine with its provider refresh, the
 * {@link RuleRouter} and {@link RuleFlowFilter} over them, and the fake-IP DNS handler (upstreams,
 * fake-ip-filter, hosts; the pools are the {@link Foundation}'s). A generation is complete before
 * anyone can reach it, and it is reached only through {@link LiveRouting}.
 *
 * <p>Established flows hold their outbound directly, so they never notice a swap. A retired
 * generation stops its health checks and refreshes at once, and closes its rule databases and
 * upstreams after {@link #GRACE}: flows routed just before the swap may still be dialing through
 * it. Not thread-safe to build; immutable once built.
 */
final class Generation {
  private static final Logger log = LoggerFactory.getLogger(Generation.class);
  static final Duration GRACE = Duration.ofSeconds(60);
  private static final Duration PROVIDER_REFRESH_TICK = Duration.ofSeconds(10);
  private static final int DIAL_TIMEOUT_MILLIS = 10_000;

  final TurnoutConfig config;
  final Upstream upstream;
  final Outbounds outbounds;
  final RuleEngine rules;
  final RuleRouter router;
  final RuleFlowFilter filter;
  final FakeDnsHandler dns; // null without dns.enable
  final Instant loaded = Instant.now();
  private volatile boolean ownsUpstream;
  private volatile ScheduledFuture<?> refresh;

  private Generation(
      TurnoutConfig config,
      Upstream upstream,
      boolean ownsUpstream,
      Outbounds outbounds,
      RuleEngine rules,
      RuleRouter router,
      RuleFlowFilter filter,
      FakeDnsHandler dns) {
    this.config = config;
    this.upstream = upstream;
    this.ownsUpstream = ownsUpstream;
    this.outbounds = outbounds;
    this.rules = rules;
    this.router = router;
    this.filter = filter;
    this.dns = dns;
  }

  /**
   * Builds the routing {@code config} describes on {@code base}, reusing {@code previous}'s
   * upstreams when the nameservers are the same (null for the first generation). Downloads rule
   * providers; blocks while it does. On failure nothing of it is left open.
   *
   * @throws ConfigException with every problem of the proxies, groups, rules or providers
   */
  static Generation build(TurnoutConfig config, Foundation base, Generation previous)
      throws ConfigException, IOException {
    boolean reuse =
        previous != null
            && previous.config.dns().nameservers().equals(config.dns().nameservers())
            && previous.config.tun().routingMark() == config.tun().routingMark();
    Upstream upstream = reuse ? previous.upstream : upstream(config, base.plan());
    Outbounds outbounds = null;
    RuleEngine rules = null;
    try {
      Dialer dialer =
          new Dialer(
              upstream,
              ownRange(base.plan()),
              config.tun().routingMark(),
              config.proxies().interfaceName(),
              DIAL_TIMEOUT_MILLIS);
      MarkedListFetcher fetcher = new MarkedListFetcher(dialer, base.loops());
      try {
        outbounds = Components.outbounds(config, dialer, base.loops());
      } catch (ConfigException e) {
        throw withRuleProblems(e, config, upstream, fetcher);
      }
      rules =
          Components.rules(
              config,
              upstream, // the engine waits for it at most 5 s
              outbounds.asMap().keySet(),
              fetcher);
      RuleRouter router = new RuleRouter(rules, outbounds.asMap(), base.processes(), base.mode());
      RuleFlowFilter filter = new RuleFlowFilter(router, base.pool());
      Generation built =
          new Generation(
              config,
              upstream,
              !reuse,
              outbounds,
              rules,
              router,
              filter,
              config.dns().enable() ? dnsHandler(config, base, upstream) : null);
      if (reuse) {
        previous.ownsUpstream = false; // handed over with its cache
      }
      return built;
    } catch (ConfigException | IOException | RuntimeException e) {
      if (outbounds != null) {
        outbounds.close();
      }
      closeQuietly(rules);
      if (!reuse) {
        upstream.close();
      }
      throw e;
    }
  }

  /**
   * The proxies have errors: check the rules too, against every name the file declares, so that one
   * answer lists every problem.
   */
  private static ConfigException withRuleProblems(
      ConfigException proxies, TurnoutConfig config, Upstream upstream, MarkedListFetcher fetcher) {
    java.util.Set<String> names = new java.util.HashSet<>(Components.BUILT_INS);
    for (var entries : java.util.List.of(config.proxies().proxies(), config.proxies().groups())) {
      entries.forEach(e -> e.text("name").ifPresent(names::add));
    }
    try {
      Components.rules(config, upstream, names, fetcher).close();
      return proxies;
    } catch (ConfigException rules) {
      java.util.List<String> all = new java.util.ArrayList<>(proxies.problems());
      all.addAll(rules.problems());
      return new ConfigException(all);
    } catch (IOException e) {
      return proxies;
    }
  }

  /** Starts the health checks and, with rule providers, their periodic refresh. */
  void start(Foundation base) {
    outbounds.start();
    if (!config.ruleProviders().isEmpty()) {
      refresh = rules.scheduleRefresh(base.scheduler(), PROVIDER_REFRESH_TICK);
    }
  }

  /** Replaced by a newer generation: stop checking now, close the rest after {@link #GRACE}. */
  void retire(Foundation base) {
    stopChecks();
    base.scheduler().schedule(this::closeResources, GRACE.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Turnout stops: everything at once. */
  void close() {
    stopChecks();
    closeResources();
  }

  private void stopChecks() {
    outbounds.close();
    ScheduledFuture<?> r = refresh;
    if (r != null) {
      r.cancel(false);
    }
  }

  private void closeResources() {
    closeQuietly(rules);
    if (ownsUpstream) {
      upstream.close();
    }
  }

  private static void closeQuietly(RuleEngine rules) {
    if (rules == null) {
      return;
    }
    try {
      rules.close();
    } catch (IOException e) {
      log.debug("closing the rule databases: {}", e.toString());
    }
  }

  /**
   * The upstream resolvers. With auto-route, unmarked upstream queries would enter the TUN and be
   * hijacked back to Turnout: every upstream socket carries the routing mark, like the dialers'.
   */
  private static Upstream upstream(TurnoutConfig config, AddressPlan plan) {
    return Upstream.builder(config.dns().nameservers())
        .forbiddenRange(plan.range().firstIpv4(), plan.range().lastIpv4())
        .soMark(config.tun().routingMark())
        .build();
  }

  private static FakeDnsHandler dnsHandler(
      TurnoutConfig config, Foundation base, Upstream upstream) {
    FakeDnsHandler.Builder handler =
        FakeDnsHandler.builder(base.pool(), upstream)
            .filter(
                DomainFilter.of(config.dns().fakeIpFilter()),
                DomainFilter.Mode.parse(config.fakeDns().filterMode()))
            .hosts(Hosts.of(config.fakeDns().hosts()));
    if (base.pool6() != null) {
      handler.ipv6Pool(base.pool6());
    }
    return handler.build();
  }

  /** Turnout's own range: never dialed, and trusted as a DNS client (hijacked queries). */
  static Predicate<InetAddress> ownRange(AddressPlan plan) {
    return address -> address instanceof Inet4Address && plan.range().contains(Ipv4.toInt(address));
  }
}
