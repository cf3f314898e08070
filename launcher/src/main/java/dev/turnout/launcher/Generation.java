package dev.turnout.launcher;

import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.FakeDnsHandler;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.outbound.fetch.HttpFetcher;
import dev.turnout.outbound.provider.ProviderLoader;
import dev.turnout.outbound.provider.ProxyProvider;
import dev.turnout.rules.ListFetcher;
import dev.turnout.rules.RuleEngine;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded configuration's routing, the part a reload replaces whole: the DNS side ({@link
 * DnsParts}: resolvers, domain sets; kept from the previous generation when its settings did not
 * change, with their caches), the dialer, the outbounds and groups with their health checks and
 * proxy providers, the rule engine with its provider refresh, the {@link RuleRouter} (with the
 * mode) and {@link RuleFlowFilter} over them, and the fake-IP DNS handler (the pools are the {@link
 * Foundation}'s). A generation is complete before anyone can reach it, and it is reached only
 * through {@link LiveRouting}.
 *
 * <p>Established flows hold their outbound directly, so they never notice a swap. A retired
 * generation stops its health checks and refreshes at once, and closes its rule databases and DNS
 * side after {@link #GRACE}: flows routed just before the swap may still be dialing through it. Not
 * thread-safe to build; immutable once built.
 */
final class Generation {
  private static final Logger log = LoggerFactory.getLogger(Generation.class);
  static final Duration GRACE = Duration.ofSeconds(60);
  static final Duration REFRESH_TICK =
      Duration.ofSeconds(10); // of providers, and what follows them
  private static final int DIAL_TIMEOUT_MILLIS = 10_000;

  final TurnoutConfig config;
  final DnsParts dnsParts;
  final Outbounds outbounds;
  final ProviderLoader.Fetch subscriptions;
  final RuleEngine rules;
  final RuleRouter router;
  final RuleFlowFilter filter;
  final FakeDnsHandler dns; // null without dns.enable
  final Instant loaded = Instant.now();
  private final boolean inheritedDns;
  private volatile boolean ownsDns = true;
  private final List<ScheduledFuture<?>> refreshes = new ArrayList<>();

  private Generation(
      TurnoutConfig config,
      DnsParts dnsParts,
      boolean inheritedDns,
      Outbounds outbounds,
      ProviderLoader.Fetch subscriptions,
      RuleEngine rules,
      RuleRouter router,
      RuleFlowFilter filter,
      FakeDnsHandler dns) {
    this.config = config;
    this.dnsParts = dnsParts;
    this.inheritedDns = inheritedDns;
    this.outbounds = outbounds;
    this.subscriptions = subscriptions;
    this.rules = rules;
    this.router = router;
    this.filter = filter;
    this.dns = dns;
  }

  /**
   * Builds the routing {@code config} describes on {@code base}, reusing {@code previous}'s DNS
   * side when its settings are the same (null for the first generation). Downloads proxy and rule
   * providers; blocks while it does. On failure nothing of it is left open, and {@code previous} is
   * untouched.
   *
   * @throws ConfigException with every problem of the proxies, groups, rules or providers
   */
  static Generation build(TurnoutConfig config, Foundation base, Generation previous)
      throws ConfigException, IOException {
    return build(config, base, previous, true);
  }

  /**
   * As {@link #build(TurnoutConfig, Foundation, Generation)}; without {@code mayKeepDns} the DNS
   * side is built anew even when its settings are the same, as after the geodata files its sets
   * read (geosite:, fallback-filter's geoip) changed under the same names.
   */
  static Generation build(
      TurnoutConfig config, Foundation base, Generation previous, boolean mayKeepDns)
      throws ConfigException, IOException {
    boolean reuse = mayKeepDns && previous != null && previous.dnsParts.sameAs(config);
    DnsParts dnsParts;
    try {
      dnsParts = reuse ? previous.dnsParts : DnsParts.build(config, base.loops());
    } catch (IllegalArgumentException e) {
      throw new ConfigException(List.of(config.file() + ": dns: " + e.getMessage()));
    }
    if (!reuse) {
      log.info("dns: {}", dnsParts.assembly.describe());
    }
    Outbounds outbounds = null;
    RuleEngine rules = null;
    try {
      Dialer dialer =
          new Dialer(
              dnsParts.assembly.dialing(),
              Ipv6Parts.ownRange(base.plan()),
              base.local(), // DIRECT reaches this host only where a rule names it
              config.tun().routingMark(),
              config.proxies().interfaceName(),
              DIAL_TIMEOUT_MILLIS);
      try {
        outbounds = Components.outbounds(config, dialer, base.loops());
      } catch (ConfigException e) {
        throw withRuleProblems(e, config, dnsParts);
      }
      HttpFetcher fetcher = new HttpFetcher(base.loops());
      ProviderLoader.Fetch subscriptions = Components.subscriptions(fetcher, outbounds);
      if (!reuse) {
        // A DNS side of its own follows these outbounds from the start; an inherited one only
        // once this generation is swapped in (start), so a failed build leaves the running one be.
        dnsParts.follow(outbounds.asMap(), null);
      }
      outbounds.providers().refreshDue(subscriptions); // Turnout starts whatever they give
      for (ProxyProvider p : outbounds.providers().list()) {
        log.info(
            "proxy provider {}: {} proxies, from the {}", p.name(), p.proxies().size(), p.origin());
      }
      ListFetcher ruleLists = Components.ruleLists(fetcher, outbounds);
      rules =
          Components.rules(
              config,
              dnsParts.assembly.main(), // the engine waits for it at most 5 s
              outbounds.asMap().keySet(),
              ruleLists);
      if (!reuse) {
        dnsParts.loadSets(ruleLists);
        dnsParts.follow(outbounds.asMap(), rules);
      }
      RuleRouter router =
          new RuleRouter(
              rules,
              outbounds.asMap(),
              base.processes(),
              base.neighbors(),
              config.mode(),
              config.sniffer().sniffer());
      RuleFlowFilter filter =
          new RuleFlowFilter(router, base.pools(), directNat(config, base, dnsParts, dialer));
      return new Generation(
          config,
          dnsParts,
          reuse,
          outbounds,
          subscriptions,
          rules,
          router,
          filter,
          config.dns().enable() ? dnsHandler(config, base, dnsParts) : null);
    } catch (ConfigException | RuntimeException e) {
      if (outbounds != null) {
        outbounds.close();
      }
      closeQuietly(rules);
      if (!reuse) {
        dnsParts.close();
      }
      throw e;
    }
  }

  /** What the kernel may forward under {@code tun.direct-nat} ({@link DirectNat#wanted}). */
  private static DirectNat directNat(
      TurnoutConfig config, Foundation base, DnsParts dnsParts, Dialer dialer) {
    if (!DirectNat.wanted(config)) {
      return DirectNat.OFF;
    }
    return new DirectNat(
        base.forwarding(),
        dnsParts.assembly.dialing(),
        a -> !dialer.allowed(a) || base.local().test(a) || a.isMulticastAddress(),
        TimeSource.SYSTEM);
  }

  /**
   * The proxies have errors: check the rules too, against every name the file declares, so that one
   * answer lists every problem.
   */
  private static ConfigException withRuleProblems(
      ConfigException proxies, TurnoutConfig config, DnsParts dnsParts) {
    Set<String> names = new HashSet<>(Components.BUILT_INS);
    for (var entries : List.of(config.proxies().proxies(), config.proxies().groups())) {
      entries.forEach(e -> e.text("name").ifPresent(names::add));
    }
    try {
      Components.rules(config, dnsParts.assembly.main(), names).close();
      return proxies;
    } catch (ConfigException rules) {
      List<String> all = new ArrayList<>(proxies.problems());
      all.addAll(rules.problems());
      return new ConfigException(all);
    } catch (IOException e) {
      return proxies;
    }
  }

  /**
   * Starts the health checks and the periodic refresh of the providers; an inherited DNS side
   * follows this generation's outbounds and rules from now on.
   */
  void start(Foundation base) {
    if (inheritedDns) {
      dnsParts.follow(outbounds.asMap(), rules);
    }
    outbounds.start();
    if (!config.ruleProviders().isEmpty() || !outbounds.providers().list().isEmpty()) {
      synchronized (refreshes) {
        refreshes.add(rules.scheduleRefresh(base.scheduler(), REFRESH_TICK));
        refreshes.add(
            Components.scheduleRefresh(
                base.scheduler(),
                REFRESH_TICK,
                () -> outbounds.providers().refreshDue(subscriptions)));
      }
      dnsParts.scheduleRefresh(base.scheduler(), REFRESH_TICK);
    }
  }

  /**
   * Replaced by {@code next}: stop checking now, close the rest after {@link #GRACE}. The DNS side,
   * when {@code next} inherited it, is {@code next}'s to close.
   */
  void retire(Foundation base, Generation next) {
    if (next.dnsParts == dnsParts) {
      ownsDns = false;
    }
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
    synchronized (refreshes) {
      refreshes.forEach(r -> r.cancel(false));
      refreshes.clear();
    }
  }

  private void closeResources() {
    closeQuietly(rules);
    if (ownsDns) {
      dnsParts.close();
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

  private static FakeDnsHandler dnsHandler(
      TurnoutConfig config, Foundation base, DnsParts dnsParts) {
    FakeDnsHandler.Builder handler =
        FakeDnsHandler.builder(base.pool(), dnsParts.assembly.main())
            .filter(
                dnsParts.assembly.fakeIpFilter(),
                DomainFilter.Mode.parse(config.fakeDns().filterMode()))
            .hosts(dnsParts.assembly.answerHosts())
            .forbiddenRange(config.plan().range().firstIpv4(), config.plan().range().lastIpv4());
    if (base.pool6() != null) {
      handler.ipv6Pool(base.pool6());
    }
    return handler.build();
  }
}
