package dev.turnout.launcher;

import dev.turnout.fakedns.DnsServer;
import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.FakeDnsHandler;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.fakedns.FakeIpStore;
import dev.turnout.fakedns.GeoIp;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.AddressPlan6;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.LocalAddresses;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.outbound.fetch.HttpFetcher;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.provider.ProviderLoader;
import dev.turnout.outbound.provider.ProxyProvider;
import dev.turnout.relay.Connections;
import dev.turnout.relay.HalfCloseSafeEpoll;
import dev.turnout.rules.ListFetcher;
import dev.turnout.rules.RuleEngine;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a running Turnout from a configuration, in dependency order: event loops, upstream DNS
 * ({@link DnsAssembly}), fake-IP pools, dialer, outbounds, rules, the relay, then the TUN path
 * ({@link TunPath}), the local proxy listeners ({@link InboundAssembly}) and the DNS server. Every
 * part's undo goes to {@code onStop} as soon as the part exists, so a start that fails half way is
 * undone exactly as far as it got.
 */
final class Assembly {
  private static final Logger log = LoggerFactory.getLogger(Assembly.class);
  private static final Duration PROVIDER_REFRESH_TICK = Duration.ofSeconds(10);
  private static final int DIAL_TIMEOUT_MILLIS = 10_000;

  private final TurnoutConfig config;
  private final Consumer<Closeable> onStop;
  private final HostSetup host;

  private Assembly(TurnoutConfig config, Consumer<Closeable> onStop) {
    this.config = config;
    this.onStop = onStop;
    this.host = new HostSetup(config.tun().device(), onStop);
  }

  static void start(TurnoutConfig config, Consumer<Closeable> onStop) throws Exception {
    new Assembly(config, onStop).start();
  }

  private void start() throws Exception {
    AddressPlan plan = config.plan();
    EventLoopGroup loops =
        new MultiThreadIoEventLoopGroup(
            Runtime.getRuntime().availableProcessors(), HalfCloseSafeEpoll.newFactory());
    onStop.accept(() -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
    // With auto-route, unmarked upstream queries would enter the TUN and be hijacked back to
    // Turnout: every upstream socket carries the routing mark, like the dialers'.
    RuleSets ruleSets = new RuleSets(config);
    onStop.accept(ruleSets);
    DnsOutbounds dnsOutbounds = new DnsOutbounds(loops);
    DnsAssembly dns = DnsAssembly.create(config, ruleSets, geoIp(ruleSets), dnsOutbounds, onStop);
    log.info("dns: {}", dns.describe());
    FakeIpPool pool = new FakeIpPool(plan.fakeFirst(), plan.fakeLast());
    FakeIpPool pool6 = Ipv6Parts.fakePool6(config);
    if (config.fakeDns().storeFakeIp()) {
      keepFakeIps(pool6 == null ? List.of(pool) : List.of(pool, pool6));
    }
    LocalAddresses local = LocalAddressWatch.start(onStop);
    Dialer dialer =
        new Dialer(
            dns.dialing(),
            ownRange(plan),
            local, // DIRECT reaches this host only where a rule names it
            config.tun().routingMark(),
            config.proxies().interfaceName(),
            DIAL_TIMEOUT_MILLIS);
    Outbounds outbounds = Components.outbounds(config, dialer, loops);
    onStop.accept(outbounds::close);
    HttpFetcher fetcher = new HttpFetcher(loops);
    ProviderLoader.Fetch subscriptions = Components.subscriptions(fetcher, outbounds);
    outbounds.providers().refreshDue(subscriptions); // Turnout starts whatever they give
    for (ProxyProvider p : outbounds.providers().list()) {
      log.info(
          "proxy provider {}: {} proxies, from the {}", p.name(), p.proxies().size(), p.origin());
    }
    outbounds.start();
    dns.dialing().useOutbounds(outbounds.asMap());
    dnsOutbounds.useOutbounds(outbounds.asMap());
    ListFetcher ruleLists = Components.ruleLists(fetcher, outbounds.get(DirectOutbound.NAME));
    RuleEngine rules =
        Components.rules(
            config,
            dns.main(), // the engine waits for it at most 5 s
            outbounds.asMap().keySet(),
            ruleLists);
    onStop.accept(rules);
    ruleSets.load(ruleLists);
    dnsOutbounds.useRules(rules);
    if (!config.ruleProviders().isEmpty() || !outbounds.providers().list().isEmpty()) {
      ScheduledExecutorService refresher =
          Executors.newSingleThreadScheduledExecutor(daemonThreads("turnout-providers"));
      onStop.accept(refresher::shutdownNow);
      rules.scheduleRefresh(refresher, PROVIDER_REFRESH_TICK);
      ruleSets.scheduleRefresh(refresher, PROVIDER_REFRESH_TICK);
      Components.scheduleRefresh(
          refresher, PROVIDER_REFRESH_TICK, () -> outbounds.providers().refreshDue(subscriptions));
    }
    RuleRouter router =
        new RuleRouter(
            rules, outbounds.asMap(), new ProcessLookup(Path.of("/proc")), config.mode());
    Connections connections = new Connections(policy -> chain(outbounds, policy));
    SharedRelay relay = SharedRelay.start(router, connections, onStop);
    NatTable nat = null;
    AddressPlan6 tun6 = null; // IPv6 on the TUN, when it got it
    if (config.tun().enable()) {
      FakePools fakePools = new FakePools(pool, pool6);
      TunPath.Running tun =
          TunPath.start(config, fakePools, router, relay, loops, host, local, onStop);
      nat = tun.nat();
      tun6 = tun.ipv6();
    }
    List<FakeIpPool> pools = pool6 == null ? List.of(pool) : List.of(pool, pool6);
    InboundAssembly.start(config, relay, router, outbounds, pools, loops, onStop);
    if (config.dns().enable()) {
      boolean v6 = tun6 != null || !config.tun().enable(); // no fake AAAA the TUN cannot route
      DnsClients clients = new DnsClients(ownRange(plan), plan.tunInetAddress(), nat);
      startDns(dns, pool, v6 ? pool6 : null, Ipv6Parts.dnsListener6(config, tun6), clients);
    }
    log.info(
        "Turnout ready: fake IPs {}-{}, NAT sessions {}-{}",
        Ipv4.address(plan.fakeFirst()).getHostAddress(),
        Ipv4.address(plan.fakeLast()).getHostAddress(),
        Ipv4.address(plan.natFirst()).getHostAddress(),
        Ipv4.address(plan.natLast()).getHostAddress());
  }

  /** Mappings survive restarts: apps that cached an answer keep reaching the same name. */
  private void keepFakeIps(List<FakeIpPool> pools) throws Exception {
    Path file = config.files().stateDir().resolve("fakeip.cache");
    FakeIpStore store;
    try {
      store = FakeIpStore.open(file, pools, Duration.ofSeconds(1));
    } catch (IOException e) { // a read-only or full disk: run, and say what is not kept
      log.warn(
          "dns: cannot keep fake-IP mappings in {} ({}): they live in memory only",
          file,
          e.toString());
      return;
    }
    onStop.accept(store); // closed after the DNS server and the relay: a last snapshot
    log.info("dns: fake-IP mappings kept in {} ({} restored)", file, store.loaded());
  }

  private void startDns(
      DnsAssembly dns,
      FakeIpPool pool,
      FakeIpPool pool6,
      InetSocketAddress listen6,
      DnsClients clients)
      throws Exception {
    TurnoutConfig.FakeDns fake = config.fakeDns();
    FakeDnsHandler.Builder handler =
        FakeDnsHandler.builder(pool, dns.main())
            .filter(dns.fakeIpFilter(), DomainFilter.Mode.parse(fake.filterMode()))
            .hosts(dns.answerHosts())
            .forbiddenRange(config.plan().range().firstIpv4(), config.plan().range().lastIpv4());
    if (pool6 != null) {
      handler.ipv6Pool(pool6);
    }
    // Hijacked queries arrive from NAT session addresses: trusted like this host's own, so
    // hijack needs no allow-lan. Other hosts are answered only with allow-lan.
    FakeDnsHandler answers = handler.build();
    DnsServer.Options options =
        DnsServer.Options.defaults()
            .withAllowLan(fake.allowLan())
            .withTrusted(ownRange(config.plan()))
            .withClients(clients);
    TurnoutConfig.Dns settings = config.dns();
    onStop.accept(DnsServer.start(settings.listen(), answers, options));
    log.info("dns: fake-IP server on {} (udp, tcp)", settings.listen());
    if (listen6 != null) {
      onStop.accept(DnsServer.start(listen6, answers, options)); // hijacked IPv6 queries
      log.info("dns: also on {} (udp, tcp)", listen6);
    }
    if (settings.systemResolver()) {
      host.pointSystemResolver(settings.listen(), config.plan().tunInetAddress());
    }
  }

  /** The country database for {@code fallback-filter.geoip}, when {@code geoip-database} is set. */
  private GeoIp geoIp(RuleSets ruleSets) {
    return config.files().geoipDatabase() == null ? GeoIp.NONE : ruleSets;
  }

  /**
   * The outbounds {@code policy} leads through right now: the policy, then each group's current
   * choice, down to the proxy (or DIRECT) that carries the flow. Bounded against a group cycle.
   */
  static List<String> chain(Outbounds outbounds, String policy) {
    List<String> chain = new java.util.ArrayList<>(4);
    String name = policy;
    while (name != null && chain.size() < 16 && !chain.contains(name)) {
      chain.add(name);
      name = outbounds.get(name) instanceof Group group ? group.now() : null;
    }
    return chain;
  }

  /** Turnout's own ranges: never dialed, and trusted as DNS clients (hijacked queries). */
  private static Predicate<InetAddress> ownRange(AddressPlan plan) {
    return Ipv6Parts.ownRange(plan);
  }

  static ThreadFactory daemonThreads(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
