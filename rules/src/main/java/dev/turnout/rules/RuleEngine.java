package dev.turnout.rules;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.TimeSource;
import dev.turnout.rules.Addresses.Prefix;
import dev.turnout.rules.RuleException.Problem;
import dev.turnout.rules.RuleParser.BadRule;
import java.io.Closeable;
import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides the policy of each connection from Clash rules and rule providers.
 *
 * <pre>{@code
 * RuleEngine rules = RuleEngine.builder()
 *     .rules(ruleLines)                       // the config's rules:, with file and line
 *     .providers(providerSpecs)               // the config's rule-providers:
 *     .policies(Set.of("DIRECT", "REJECT", "REJECT-DROP", "Proxy"))
 *     .options(new RulesOptions(countryMmdb, asnMmdb, cacheDir, List.of("198.18.0.0/16")))
 *     .resolver(upstreamResolver)             // for IP rules on name-only connections
 *     .httpClient(markedClient)               // provider downloads
 *     .build();                               // throws RuleException listing every problem
 * Decision d = rules.decide(connection);
 * }</pre>
 *
 * <p>The first matching rule wins; with none, the result is {@link Decision#FALLBACK} (DIRECT), as
 * in Clash. {@link #decide} is thread-safe, never blocks except in the {@link HostResolver} and the
 * process lookup, and allocates nothing when the domain, keyword or CIDR indexes (or MATCH) decide;
 * otherwise a small context, plus the answer when it resolves. It may be called while providers
 * refresh: each refresh compiles a new rule table and swaps it in atomically, so a decision uses
 * one consistent table throughout.
 *
 * <p>Refreshing is driven by the caller: call {@link #refreshDue()} periodically, or let {@link
 * #scheduleRefresh} do so. Intervals are measured on the injected {@link TimeSource}.
 */
public final class RuleEngine implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(RuleEngine.class);

  private final List<Rule> rules;
  private final Map<String, List<Rule>> subRules;
  private final Map<String, Provider> providers;
  private final GeoSites geosites;
  private final RuleParser parser;
  private final GeoDb geo;
  private final List<Prefix> fakeRanges;
  private final HostResolver resolver;
  private final ListFetcher http;
  private final TimeSource clock;
  private volatile Compiled compiled;

  private RuleEngine(
      Builder b,
      List<Rule> rules,
      Map<String, List<Rule>> subRules,
      Map<String, Provider> providers,
      RuleParser p,
      GeoDb geo,
      List<Prefix> fakeRanges) {
    this.rules = rules;
    this.subRules = subRules;
    this.providers = providers;
    this.geosites = p.geosites();
    this.parser = p;
    this.geo = geo;
    this.fakeRanges = fakeRanges;
    this.resolver = b.resolver;
    this.http = b.http;
    this.clock = b.clock;
    this.compiled = compile();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The policy for {@code connection}; see {@link Decision}. */
  public Decision decide(ConnectionInfo connection) {
    return compiled.decide(Objects.requireNonNull(connection, "connection"));
  }

  /**
   * Refreshes every provider whose interval has passed on the clock (http: conditional GET; file:
   * re-read) and swaps in the new rules if any list changed. Failures are logged and keep the old
   * list. Blocks while downloading. Returns the number of providers whose list changed.
   */
  /**
   * True if a decision may block: some rule resolves a name (IP rules without {@code no-resolve})
   * or looks up the owning process. When false, {@link #decide} is pure computation and may run on
   * an event loop or the TUN reader. May change when a provider refreshes.
   */
  public boolean mayBlock() {
    return compiled.mayBlock();
  }

  public synchronized int refreshDue() {
    Instant now = clock.instant();
    int changed = 0;
    for (Provider p : providers.values()) {
      if (p.isDue(now) && p.refresh(http, clock, parser)) {
        changed++;
      }
    }
    if (changed > 0) {
      compiled = compile();
    }
    return changed;
  }

  /**
   * Refreshes one provider now, whatever its interval (the dashboard's "update" button). Returns
   * true if its list changed.
   *
   * @throws IllegalArgumentException if there is no such provider
   */
  public synchronized boolean refresh(String provider) {
    Provider p = providers.get(provider);
    if (p == null) {
      throw new IllegalArgumentException("no rule provider named " + provider);
    }
    boolean changed = p.refresh(http, clock, parser);
    if (changed) {
      compiled = compile();
    }
    return changed;
  }

  /**
   * Runs {@link #refreshDue()} every {@code tick} on {@code scheduler}; cancel the future to stop.
   */
  public ScheduledFuture<?> scheduleRefresh(ScheduledExecutorService scheduler, Duration tick) {
    long ms = tick.toMillis();
    return scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            refreshDue();
          } catch (RuntimeException | Error e) {
            // a scheduled task that throws is never run again: log it, and retry next tick
            log.warn("rule provider refresh failed; retrying at the next tick", e);
          }
        },
        ms,
        ms,
        TimeUnit.MILLISECONDS);
  }

  /** The http providers an {@link Builder#offline} engine found no copy of (they are empty). */
  public synchronized Set<String> notDownloaded() {
    Set<String> names = new java.util.TreeSet<>();
    providers.forEach(
        (name, p) -> {
          if (p.notDownloaded()) {
            names.add(name);
          }
        });
    return names;
  }

  /** Names of the rule providers with the number of entries each currently has. */
  public synchronized Map<String, Integer> providerSizes() {
    Map<String, Integer> sizes = new LinkedHashMap<>();
    providers.forEach((name, p) -> sizes.put(name, p.entries().size()));
    return sizes;
  }

  /**
   * The CIDRs an ipcidr rule provider holds now (none until it has loaded), for routes made from it
   * ({@code tun.route-address-set}); null when there is no such provider, or it holds domains or
   * rules. The same list comes back until a refresh changes the provider's entries, so a caller
   * tells a change by identity.
   */
  public synchronized List<Cidr> cidrs(String provider) {
    Provider p = providers.get(provider);
    if (p == null || p.spec.behavior() != ProviderSpec.Behavior.IPCIDR) {
      return null;
    }
    return p.cidrs();
  }

  /**
   * The geosite lists and rule providers as domain sets, for DNS settings ({@code geosite:cn},
   * {@code rule-set:name}). A provider's set follows its refreshes.
   */
  public DomainSets domainSets() {
    return new EngineDomainSets(geosites, providers);
  }

  /**
   * What loading skipped without failing, for {@code turnout check}: provider entries and geosite
   * entries that cannot be used (each listed, then counted; each logged as a warning), and the
   * providers an {@link Builder#offline} engine found no copy of.
   */
  public synchronized List<Problem> warnings() {
    List<Problem> out = new ArrayList<>(geosites.warnings());
    providers.values().forEach(p -> out.addAll(p.warnings()));
    return out;
  }

  /** One line about the compiled rules, for logs: counts per index. */
  public String stats() {
    return compiled.stats();
  }

  /** Closes the GEOIP/ASN databases; {@link #decide} must not be called afterwards. */
  @Override
  public void close() throws IOException {
    geo.close();
  }

  private Compiled compile() {
    Map<String, List<Rule>> sets = new LinkedHashMap<>(geosites.loaded());
    providers.forEach((name, p) -> sets.put(name, p.entries()));
    return Compiled.build(rules, sets, subRules, geo, fakeRanges, resolver);
  }

  /** Collects the configuration; {@link #build} loads and compiles it. Not thread-safe. */
  public static final class Builder {
    private List<RuleLine> lines = List.of();
    private Map<String, List<RuleLine>> subRuleLines = Map.of();
    private List<ProviderSpec> specs = List.of();
    private Set<String> policies = Set.of("DIRECT", "REJECT", "REJECT-DROP");
    private RulesOptions options = RulesOptions.NONE;
    private HostResolver resolver = HostResolver.NONE;
    private ListFetcher http;
    private TimeSource clock = TimeSource.SYSTEM;
    private boolean offline;

    private Builder() {}

    /** The config's {@code rules:} in order. */
    public Builder rules(List<RuleLine> lines) {
      this.lines = List.copyOf(lines);
      return this;
    }

    /**
     * The config's top-level {@code sub-rules:}: lists of rules by name, which {@code
     * SUB-RULE,(CONDITION),name} rules use. They may use SUB-RULE themselves, but not in a cycle.
     */
    public Builder subRules(Map<String, List<RuleLine>> subRules) {
      Map<String, List<RuleLine>> copy = new LinkedHashMap<>();
      subRules.forEach((name, list) -> copy.put(name, List.copyOf(list)));
      this.subRuleLines = copy;
      return this;
    }

    /** The config's {@code rule-providers:}; names must be unique. */
    public Builder providers(List<ProviderSpec> specs) {
      this.specs = List.copyOf(specs);
      return this;
    }

    /** Every policy a rule may name: DIRECT, REJECT, REJECT-DROP, proxies and groups. */
    public Builder policies(Collection<String> policies) {
      this.policies = Set.copyOf(policies);
      return this;
    }

    public Builder options(RulesOptions options) {
      this.options = Objects.requireNonNull(options, "options");
      return this;
    }

    /**
     * Default {@link HostResolver#NONE}. A decision that needs an IP waits for its answer on the
     * calling thread, at most 5 s; a failure or a timeout counts as no address.
     */
    public Builder resolver(HostResolver resolver) {
      this.resolver = Objects.requireNonNull(resolver, "resolver");
      return this;
    }

    /**
     * The client for http providers. Default: a JDK client following redirects, with a 10 s connect
     * timeout.
     */
    public Builder httpClient(HttpClient http) {
      this.http = ListFetcher.using(Objects.requireNonNull(http, "http"));
      return this;
    }

    /** How http providers are downloaded, e.g. through sockets that carry the routing mark. */
    public Builder fetcher(ListFetcher fetcher) {
      this.http = Objects.requireNonNull(fetcher, "fetcher");
      return this;
    }

    /**
     * Nothing is downloaded or written, for {@code turnout check} and {@code explain}: http
     * providers are read from their copies, and one without a copy is empty and listed in {@link
     * RuleEngine#warnings()}. Such an engine must not be refreshed.
     */
    public Builder offline() {
      this.offline = true;
      return this;
    }

    /** Clock for provider intervals; default the system clock. */
    public Builder clock(TimeSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Parses the rules, loads every provider (downloading http ones whose cached copy is missing or
     * older than their interval) and compiles. Blocks for the downloads.
     *
     * @throws RuleException listing every bad rule line, bad provider entry (up to 50 per
     *     provider), unknown policy or provider, and provider that could not be loaded
     * @throws IllegalArgumentException for mistakes in the arguments themselves: duplicate provider
     *     names, a bad fake-IP range, an http provider with nowhere to keep its copy
     */
    public RuleEngine build() throws RuleException {
      if (http == null) {
        http = ListFetcher.jdk();
      }
      List<Prefix> fake = new ArrayList<>();
      for (String r : options.fakeIpRanges()) {
        fake.add(Addresses.parsePrefix(r));
      }
      Map<String, Provider> providers = new LinkedHashMap<>();
      for (ProviderSpec s : specs) {
        if (providers.put(s.name(), new Provider(s, options.providerCacheDir())) != null) {
          throw new IllegalArgumentException("duplicate rule provider " + s.name());
        }
      }
      List<Problem> problems = new ArrayList<>();
      GeoDb geo = openGeo(problems);
      RuleParser parser =
          new RuleParser(
              policies,
              providers.keySet(),
              geo,
              new GeoSites(options.geositeDatabase()),
              subRuleLines.keySet());
      List<Rule> rules = parse(lines, parser, problems);
      Map<String, List<Rule>> subRules = new LinkedHashMap<>();
      subRuleLines.forEach((name, list) -> subRules.put(name, parse(list, parser, problems)));
      if (problems.isEmpty()) {
        SubRules.check(rules, subRules, problems);
      }
      for (Provider p : providers.values()) {
        problems.addAll(p.load(http, clock, parser, offline));
      }
      if (!problems.isEmpty()) {
        closeQuietly(geo);
        throw new RuleException(problems);
      }
      RuleEngine engine =
          new RuleEngine(
              this, rules, Map.copyOf(subRules), providers, parser, geo, List.copyOf(fake));
      engine.warnings().forEach(w -> log.warn("{}", w));
      log.info("rules loaded: {}", engine.stats());
      return engine;
    }

    private static List<Rule> parse(List<RuleLine> lines, RuleParser parser, List<Problem> out) {
      List<Rule> rules = new ArrayList<>(lines.size());
      for (RuleLine l : lines) {
        try {
          rules.add(parser.parseRule(l.text(), l.position()));
        } catch (BadRule e) {
          out.add(Problem.at(l.file(), l.line(), l.text().strip(), e.getMessage()));
        }
      }
      return rules;
    }

    private GeoDb openGeo(List<Problem> problems) {
      Path country = options.geoipDatabase();
      Path asn = options.asnDatabase();
      if (country == null && asn == null) {
        return GeoDb.NONE;
      }
      try {
        return GeoDb.open(country, asn);
      } catch (IOException e) {
        problems.add(new Problem(null, 0, "geoip databases", "", "cannot open " + e.getMessage()));
        return GeoDb.NONE;
      }
    }

    private static void closeQuietly(GeoDb geo) {
      try {
        geo.close();
      } catch (IOException e) {
        log.debug("closing geoip databases: {}", e.toString());
      }
    }
  }
}
