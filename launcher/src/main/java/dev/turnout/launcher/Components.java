package dev.turnout.launcher;

import dev.turnout.config.Problems;
import dev.turnout.config.Severity;
import dev.turnout.config.YamlMapping;
import dev.turnout.launcher.config.AddressPlan6;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.config.OutboundConfig;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.outbound.fetch.HttpFetcher;
import dev.turnout.outbound.provider.ProviderLoader;
import dev.turnout.outbound.provider.ProxyProvider;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import dev.turnout.rules.ListFetcher;
import dev.turnout.rules.RuleEngine;
import dev.turnout.rules.RuleException;
import dev.turnout.rules.RuleLine;
import dev.turnout.rules.RulesOptions;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Builds the parts of Turnout that a configuration describes, and checks them without starting. */
final class Components {
  private static final Logger log = LoggerFactory.getLogger(Components.class);

  /** The policies every configuration has. */
  static final Set<String> BUILT_INS = Set.of("DIRECT", "REJECT", "REJECT-DROP", "GLOBAL");

  private Components() {}

  /**
   * Everything {@code turnout check} can verify without touching the system, beyond what {@link
   * dev.turnout.launcher.config.ConfigLoader#read} found: the proxies and groups, then the rules
   * and their providers. Every problem goes to {@code problems}, so that one run shows them all;
   * rules may name a proxy that has errors (its errors are shown once, at the proxy). Nothing is
   * downloaded or written. Returns what was found, counted.
   */
  static CheckSummary validate(TurnoutConfig config, Problems problems) {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    Set<String> policies = new HashSet<>();
    List<Outbound> proxies = new ArrayList<>();
    int groups;
    Map<String, Integer> unavailableGroups;
    int providerProxies = 0;
    Set<String> notDownloadedProxies = new java.util.TreeSet<>();
    try (Outbounds outbounds = outbounds(config, nowhere(), loops, problems)) {
      policies.addAll(outbounds.asMap().keySet());
      proxies.addAll(outbounds.proxies());
      groups = outbounds.groups().size();
      Set<String> groupNames = new HashSet<>();
      config.proxies().groups().forEach(e -> e.text("name").ifPresent(groupNames::add));
      unavailableGroups =
          CheckSummary.unsupportedByType(
              outbounds.asMap().values().stream()
                  .filter(o -> groupNames.contains(o.name()))
                  .toList());
      for (ProxyProvider p : outbounds.providers().list()) {
        proxies.addAll(p.proxies());
        providerProxies += p.proxies().size();
        if (p.spec().type() == ProxyProviderSpec.Type.HTTP && p.updated() == null) {
          notDownloadedProxies.add(p.name());
        }
      }
    } finally {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
    for (List<YamlMapping> entries :
        List.of(config.proxies().proxies(), config.proxies().groups())) {
      entries.forEach(e -> e.text("name").ifPresent(policies::add));
    }
    DnsAssembly.check(config, policies, problems);
    InboundAssembly.check(config, policies, problems);
    int providerEntries = 0;
    boolean rulesRead = false;
    Set<String> notDownloaded = Set.of();
    try (RuleEngine engine = build(config, HostResolver.NONE, policies, null, true)) {
      add(engine.warnings(), Severity.WARNING, config, problems);
      providerEntries = engine.providerSizes().values().stream().mapToInt(i -> i).sum();
      notDownloaded = engine.notDownloaded();
      rulesRead = true;
    } catch (RuleException e) {
      add(e, config, problems);
    } catch (IOException e) {
      problems.add(Severity.ERROR, config.file().toString(), 0, "", e.getMessage());
    }
    Map<String, Integer> unsupported = CheckSummary.unsupportedByType(proxies);
    int unsupportedCount = unsupported.values().stream().mapToInt(i -> i).sum();
    return new CheckSummary(
        proxies.size() - unsupportedCount,
        unsupported,
        groups,
        unavailableGroups,
        config.rules().size(),
        rulesRead,
        config.ruleProviders().size(),
        providerEntries,
        notDownloaded,
        config.proxies().providers().size(),
        providerProxies,
        notDownloadedProxies);
  }

  /** The names rules may use: built-in policies, proxies, groups. Checks the proxy lists. */
  static Set<String> policies(TurnoutConfig config) throws ConfigException {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    try (Outbounds outbounds = outbounds(config, nowhere(), loops)) {
      return Set.copyOf(outbounds.asMap().keySet());
    } finally {
      loops.shutdownGracefully(0, 0, TimeUnit.SECONDS);
    }
  }

  private static Dialer nowhere() {
    return new Dialer(
        host -> CompletableFuture.failedFuture(new IOException("not dialing")), a -> true);
  }

  /**
   * Proxies and groups, plus DIRECT, REJECT, REJECT-DROP and GLOBAL. Errors name the file and the
   * line of the offending key; warnings (unknown keys, say) are logged.
   */
  static Outbounds outbounds(TurnoutConfig config, Dialer dialer, EventLoopGroup loops)
      throws ConfigException {
    Problems problems = new Problems(config.file().toString());
    Outbounds outbounds = outbounds(config, dialer, loops, problems);
    if (problems.hasErrors()) {
      outbounds.close();
      throw ConfigException.of(problems);
    }
    problems.sorted().forEach(p -> log.warn("{}", p));
    return outbounds;
  }

  /** Builds what has no errors; every problem goes to {@code problems}. */
  private static Outbounds outbounds(
      TurnoutConfig config, Dialer dialer, EventLoopGroup loops, Problems problems) {
    TurnoutConfig.Proxies proxies = config.proxies();
    OutboundConfig.Result result =
        OutboundConfig.load(
            proxies.proxies(),
            proxies.groups(),
            proxies.providers(),
            new OutboundConfig.Environment(
                dialer, config.files().stateDir(), loops, dnsServer(config)));
    OutboundProblems.add(result.problems(), config.file().toString(), problems);
    return result.outbounds();
  }

  /**
   * Where {@code type: dns} proxies send queries: the DNS server's listener, a wildcard one by way
   * of loopback; null when the server is off.
   */
  static InetSocketAddress dnsServer(TurnoutConfig config) {
    if (!config.dns().enable()) {
      return null;
    }
    InetSocketAddress listen = config.dns().listen();
    if (!listen.getAddress().isAnyLocalAddress()) {
      return listen;
    }
    InetAddress loopback =
        listen.getAddress() instanceof Inet6Address
            ? IpLiterals.parse("::1")
            : IpLiterals.parse("127.0.0.1");
    return new InetSocketAddress(loopback, listen.getPort());
  }

  /**
   * The rules as {@code turnout explain} uses them: providers from their copies only, nothing
   * downloaded or written (see {@link RuleEngine#warnings()} for those not downloaded yet).
   */
  static RuleEngine rules(TurnoutConfig config, HostResolver resolver, Set<String> policies)
      throws ConfigException {
    return rules(config, resolver, policies, null, true);
  }

  /** The rules of a running Turnout: http providers are downloaded by {@code fetcher}. */
  static RuleEngine rules(
      TurnoutConfig config, HostResolver resolver, Set<String> policies, ListFetcher fetcher)
      throws ConfigException {
    return rules(config, resolver, policies, fetcher, false);
  }

  private static RuleEngine rules(
      TurnoutConfig config,
      HostResolver resolver,
      Set<String> policies,
      ListFetcher fetcher,
      boolean offline)
      throws ConfigException {
    try {
      return build(config, resolver, policies, fetcher, offline);
    } catch (RuleException e) {
      Problems problems = new Problems(config.file().toString());
      add(e, config, problems);
      throw ConfigException.of(problems);
    }
  }

  private static RuleEngine build(
      TurnoutConfig config,
      HostResolver resolver,
      Set<String> policies,
      ListFetcher fetcher,
      boolean offline)
      throws RuleException {
    List<RuleLine> lines =
        config.rules().stream().map(r -> new RuleLine(r.text(), r.file(), r.line())).toList();
    RuleEngine.Builder builder = RuleEngine.builder();
    if (fetcher != null) {
      builder.fetcher(fetcher);
    }
    if (offline) {
      builder.offline();
    }
    Map<String, List<RuleLine>> subRules = new LinkedHashMap<>();
    config.subRules().forEach((name, list) -> subRules.put(name, ruleLines(list)));
    return builder
        .rules(lines)
        .subRules(subRules)
        .providers(config.ruleProviders())
        .policies(policies)
        .options(options(config))
        .resolver(resolver)
        .build();
  }

  /** The files the rule engines read: databases, provider copies, the fake-IP range. */
  static RulesOptions options(TurnoutConfig config) {
    TurnoutConfig.Files files = config.files();
    return new RulesOptions(
        files.geoipDatabase(),
        files.asnDatabase(),
        files.stateDir().resolve("providers"),
        fakeRanges(config),
        files.geositeDatabase());
  }

  /** The fake ranges, whose addresses IP rules never see: IPv4, and IPv6 when it is on. */
  private static List<String> fakeRanges(TurnoutConfig config) {
    AddressPlan6 plan6 = config.plan().ipv6();
    return plan6 == null
        ? List.of(config.plan().range().toString())
        : List.of(config.plan().range().toString(), plan6.range().toString());
  }

  /**
   * Subscriptions downloaded through the outbound their provider names in {@code proxy:} (DIRECT,
   * on Turnout's marked sockets, when none), with the provider's headers.
   */
  static ProviderLoader.Fetch subscriptions(HttpFetcher fetcher, Outbounds outbounds) {
    return (spec, etag, lastModified) ->
        fetcher.get(spec.url(), via(outbounds, spec.proxy()), spec.headers(), etag, lastModified);
  }

  /** The outbound a download names ({@code proxy:}; DIRECT when null). */
  private static Outbound via(Outbounds outbounds, String proxy) throws IOException {
    Outbound via = outbounds.get(proxy == null ? DirectOutbound.NAME : proxy);
    if (via == null) {
      throw new IOException("no proxy or group named " + proxy + " to download through");
    }
    return via;
  }

  /**
   * Runs {@code refresh} every {@code tick}; a failure is logged and the next tick runs. The handle
   * stops it.
   */
  static ScheduledFuture<?> scheduleRefresh(
      ScheduledExecutorService scheduler, Duration tick, Runnable refresh) {
    return scheduler.scheduleWithFixedDelay(
        () -> {
          try {
            refresh.run();
          } catch (RuntimeException e) {
            log.warn("proxy provider refresh failed", e);
          }
        },
        tick.toMillis(),
        tick.toMillis(),
        TimeUnit.MILLISECONDS);
  }

  /**
   * Rule lists downloaded through the outbound their provider names in {@code proxy:} (DIRECT, on
   * Turnout's marked sockets, when none).
   */
  static ListFetcher ruleLists(HttpFetcher fetcher, Outbounds outbounds) {
    return (url, proxy, etag, lastModified) -> {
      HttpFetcher.Response r =
          fetcher.get(url, via(outbounds, proxy), Map.of(), etag, lastModified);
      return r == null ? null : new ListFetcher.Fetched(r.body(), r.etag(), r.lastModified());
    };
  }

  private static List<RuleLine> ruleLines(List<TurnoutConfig.RuleLine> rules) {
    return rules.stream().map(r -> new RuleLine(r.text(), r.file(), r.line())).toList();
  }

  /** Rule problems by file and line: {@code config.yaml:42: unknown policy ...: RULE,TEXT}. */
  private static void add(RuleException e, TurnoutConfig config, Problems problems) {
    add(e.problems(), Severity.ERROR, config, problems);
  }

  private static void add(
      List<RuleException.Problem> found,
      Severity severity,
      TurnoutConfig config,
      Problems problems) {
    for (RuleException.Problem p : found) {
      String message = p.text().isEmpty() ? p.message() : p.message() + ": " + p.text();
      problems.add(
          severity,
          p.file() == null ? config.file().toString() : p.file(),
          p.line(),
          p.subject() == null ? "" : p.subject(),
          message);
    }
  }
}
