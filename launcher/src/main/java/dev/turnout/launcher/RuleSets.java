package dev.turnout.launcher;

import dev.turnout.fakedns.DomainSet;
import dev.turnout.fakedns.DomainSets;
import dev.turnout.fakedns.GeoIp;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.rules.ConnectionInfo;
import dev.turnout.rules.ListFetcher;
import dev.turnout.rules.Network;
import dev.turnout.rules.ProviderSpec;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleException;
import dev.turnout.rules.RuleLine;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rule engine's domain sets and country database, for the DNS module's {@code geosite:} and
 * {@code rule-set:} references and {@code fallback-filter.geoip}. Each set is asked through a small
 * engine of its own, built from the same configuration as the main one: {@code
 * RULE-SET,NAME,DIRECT} (or {@code GEOSITE,NAME,DIRECT}, or {@code GEOIP,CODE,DIRECT,no-resolve})
 * then {@code MATCH,REJECT}; a name is in the set when that engine answers DIRECT. So the DNS
 * module sees exactly what a rule sees, through the rules module's public API only.
 *
 * <p>A {@code rule-set:} engine loads its provider in {@link #load} (the copy the main engine just
 * fetched) and refreshes with it; until then the set is empty, as in mihomo while a provider loads.
 * Thread-safe.
 */
final class RuleSets implements DomainSets, GeoIp, Closeable {
  private static final Logger log = LoggerFactory.getLogger(RuleSets.class);
  private static final Set<String> POLICIES = Set.of("DIRECT", "REJECT");

  private final TurnoutConfig config;
  private final Map<String, ProviderSpec> providers;
  private final Map<String, Probe> sets = new ConcurrentHashMap<>();
  private final Map<String, RuleEngine> countries = new ConcurrentHashMap<>();

  /** One set's engine; null until loaded. */
  private static final class Probe implements DomainSet {
    final String rule;
    final ProviderSpec provider; // null: nothing to load
    volatile RuleEngine engine;

    Probe(String rule, ProviderSpec provider) {
      this.rule = rule;
      this.provider = provider;
    }

    @Override
    public boolean contains(String name) {
      RuleEngine e = engine;
      return e != null
          && e.decide(ConnectionInfo.builder(Network.TCP).host(name).build())
              .policy()
              .equals("DIRECT");
    }
  }

  RuleSets(TurnoutConfig config) {
    this.config = config;
    this.providers =
        config.ruleProviders().stream()
            .collect(Collectors.toMap(ProviderSpec::name, p -> p, (a, b) -> a));
  }

  @Override
  public DomainSet named(Kind kind, String name) {
    if (kind == Kind.RULE_SET) {
      ProviderSpec spec = providers.get(name);
      if (spec == null) {
        throw new IllegalArgumentException("rule-set:" + name + ": no rule provider named " + name);
      }
      if (spec.behavior() == ProviderSpec.Behavior.IPCIDR) {
        throw new IllegalArgumentException(
            "rule-set:" + name + " holds IP ranges (behavior: ipcidr), not domains");
      }
      return sets.computeIfAbsent(
          "rule-set:" + name, k -> new Probe("RULE-SET," + name + ",DIRECT", spec));
    }
    String category = name.toLowerCase(Locale.ROOT);
    return sets.computeIfAbsent(
        "geosite:" + category,
        k -> {
          Probe probe = new Probe("GEOSITE," + category + ",DIRECT", null);
          probe.engine = build(probe.rule, List.of(), null);
          return probe;
        });
  }

  @Override
  public boolean inCountry(InetAddress address, String country) {
    RuleEngine engine =
        countries.computeIfAbsent(
            country.toUpperCase(Locale.ROOT),
            code -> build("GEOIP," + code + ",DIRECT,no-resolve", List.of(), null));
    return engine
        .decide(ConnectionInfo.builder(Network.TCP).destination(address, 53).build())
        .policy()
        .equals("DIRECT");
  }

  /**
   * Loads the providers of the {@code rule-set:} sets asked for so far.
   *
   * @throws IllegalStateException when a provider cannot be loaded (the main engine, loading the
   *     same provider first, would normally have failed already)
   */
  void load(ListFetcher fetcher) {
    for (Probe probe : sets.values()) {
      if (probe.provider != null && probe.engine == null) {
        probe.engine = build(probe.rule, List.of(probe.provider), fetcher);
      }
    }
  }

  /** Refreshes the loaded providers with the main engine's schedule; the handles stop it. */
  List<ScheduledFuture<?>> scheduleRefresh(ScheduledExecutorService scheduler, Duration tick) {
    List<ScheduledFuture<?>> scheduled = new ArrayList<>();
    for (Probe probe : sets.values()) {
      if (probe.provider != null && probe.engine != null) {
        scheduled.add(probe.engine.scheduleRefresh(scheduler, tick));
      }
    }
    return scheduled;
  }

  /** Whether some set needs a provider loaded. */
  boolean hasProviders() {
    return sets.values().stream().anyMatch(p -> p.provider != null);
  }

  private RuleEngine build(String rule, List<ProviderSpec> specs, ListFetcher fetcher) {
    String file = config.file().toString();
    RuleEngine.Builder builder =
        RuleEngine.builder()
            .rules(List.of(new RuleLine(rule, file, 0), new RuleLine("MATCH,REJECT", file, 0)))
            .providers(specs)
            .policies(POLICIES)
            .options(Components.options(config));
    if (fetcher != null) {
      builder.fetcher(fetcher);
    }
    try {
      return builder.build();
    } catch (RuleException e) {
      throw new IllegalArgumentException(
          rule.substring(0, rule.lastIndexOf(",DIRECT"))
              + ": "
              + e.problems().stream()
                  .map(RuleException.Problem::message)
                  .collect(Collectors.joining("; ")));
    }
  }

  @Override
  public void close() {
    for (Probe probe : sets.values()) {
      closeQuietly(probe.engine);
    }
    countries.values().forEach(RuleSets::closeQuietly);
  }

  private static void closeQuietly(RuleEngine engine) {
    if (engine == null) {
      return;
    }
    try {
      engine.close();
    } catch (IOException e) {
      log.debug("closing a rule set: {}", e.toString());
    }
  }
}
