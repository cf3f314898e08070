package dev.turnout.launcher;

import dev.turnout.fakedns.DnsServer;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.fakedns.FakeIpStore;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.AddressPlan6;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.LocalAddresses;
import dev.turnout.netbase.Neighbors;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.outbound.group.Group;
import dev.turnout.relay.Connections;
import dev.turnout.relay.HalfCloseSafeEpoll;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a running Turnout from a configuration, in two parts. The long-lived {@link Foundation}
 * (fake-IP pools, event loops, live connections) and the data path on it — the shared relay ({@link
 * SharedRelay}), the TUN path ({@link TunPath}: TUN, NAT, relays), the local proxy listeners
 * ({@link InboundAssembly}) and the DNS server — live as long as the process. The routing a
 * configuration describes is a {@link Generation} (DNS resolvers and domain sets, outbounds and
 * proxy providers, rules, router with the mode, flow filter, fake-IP DNS handler), which the data
 * path reaches through {@link LiveRouting} and the {@link Reloader} replaces on {@code PUT
 * /configs}, SIGHUP or a watched change. Every part's undo goes to {@code onStop} as soon as the
 * part exists, so a start that fails half way is undone exactly as far as it got.
 */
final class Assembly {
  private static final Logger log = LoggerFactory.getLogger(Assembly.class);

  private final TurnoutConfig config;
  private final Consumer<Closeable> onStop;
  private final HostSetup host;

  private Assembly(TurnoutConfig config, Consumer<Closeable> onStop) {
    this.config = config;
    this.onStop = onStop;
    this.host = new HostSetup(config.tun().device(), onStop);
  }

  /** Starts everything; with {@code watch}, reloads the file whenever it changes. */
  static void start(TurnoutConfig config, boolean watch, Consumer<Closeable> onStop)
      throws Exception {
    new Assembly(config, onStop).start(watch);
  }

  private void start(boolean watch) throws Exception {
    AddressPlan plan = config.plan();
    EventLoopGroup loops =
        new MultiThreadIoEventLoopGroup(
            Runtime.getRuntime().availableProcessors(), HalfCloseSafeEpoll.newFactory());
    onStop.accept(() -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
    FakeIpPool pool = new FakeIpPool(plan.fakeFirst(), plan.fakeLast());
    FakeIpPool pool6 = Ipv6Parts.fakePool6(config);
    if (pool6 != null && config.tun().enable() && !Ipv6Parts.hostHasIpv6()) {
      // no fake AAAA answers that a TUN without IPv6 could not route
      log.warn("dns: this host has IPv6 off: AAAA queries get empty answers");
      pool6 = null;
    }
    List<FakeIpPool> pools = pool6 == null ? List.of(pool) : List.of(pool, pool6);
    if (config.fakeDns().storeFakeIp()) {
      keepFakeIps(pools);
    }
    ScheduledExecutorService scheduler =
        Executors.newSingleThreadScheduledExecutor(daemonThreads("turnout-providers"));
    onStop.accept(scheduler::shutdownNow);
    LocalAddresses local = LocalAddressWatch.start(onStop);
    LiveRouting routing = new LiveRouting();
    Connections connections = new Connections(routing::chain);
    Foundation base =
        new Foundation(
            plan,
            pool,
            pool6,
            loops,
            scheduler,
            connections,
            new ProcessLookup(Path.of("/proc")),
            new Neighbors(TimeSource.SYSTEM),
            local,
            new ForwardingState());

    Generation first = Generation.build(config, base, null);
    routing.swap(first);
    onStop.accept(() -> routing.current().close());
    first.start(base);
    SharedRelay relay = SharedRelay.start(routing, connections, onStop);
    NatTable nat = null;
    AddressPlan6 tun6 = null; // IPv6 on the TUN, when it got it
    if (config.tun().enable()) {
      TunPath.Running tun = TunPath.start(config, base, routing, relay, host, onStop);
      nat = tun.nat();
      tun6 = tun.ipv6();
      if (tun6 == null && pool6 != null) {
        log.warn("dns: the TUN has no IPv6: fake AAAA answers cannot be reached");
      }
    }
    InboundAssembly.start(config, relay, routing, pools, loops, onStop);
    List<DnsServer> dns =
        config.dns().enable()
            ? startDns(
                first,
                Ipv6Parts.dnsListener6(config, tun6),
                new DnsClients(Ipv6Parts.ownRange(plan), plan.tunInetAddress(), nat))
            : List.of();
    Reloader reloader = new Reloader(config.file(), base, routing, dns);
    onStop.accept(reloader);
    reloader.onHangup();
    if (watch) {
      onStop.accept(ConfigWatch.start(config.file(), reloader));
    }
    GeoUpdates geodata =
        new GeoUpdates(reloader, () -> routing.current().config, TimeSource.SYSTEM);
    onStop.accept(geodata);
    geodata.start(scheduler);
    if (config.control().controller() != null) {
      ControllerAssembly.start(
          config.control().controller(), base, routing, reloader, geodata, onStop);
    }
    log.info(
        "Turnout ready: fake IPs {}-{}, NAT sessions {}-{}, mode {}",
        Ipv4.address(plan.fakeFirst()).getHostAddress(),
        Ipv4.address(plan.fakeLast()).getHostAddress(),
        Ipv4.address(plan.natFirst()).getHostAddress(),
        Ipv4.address(plan.natLast()).getHostAddress(),
        config.mode().name().toLowerCase(Locale.ROOT));
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

  /**
   * The DNS listeners, answering with the first generation's handler until a reload: on {@code
   * dns.listen}, and on {@code listen6} (the TUN's IPv6 address, where hijacked IPv6 queries go)
   * when it is not null.
   */
  private List<DnsServer> startDns(Generation first, InetSocketAddress listen6, DnsClients clients)
      throws Exception {
    TurnoutConfig.Dns dns = config.dns();
    // Hijacked queries arrive from NAT session addresses: trusted like this host's own, so
    // hijack needs no allow-lan. Other hosts are answered only with allow-lan.
    DnsServer.Options options =
        DnsServer.Options.defaults()
            .withAllowLan(config.fakeDns().allowLan())
            .withTrusted(Ipv6Parts.ownRange(config.plan()))
            .withClients(clients);
    List<DnsServer> servers = new ArrayList<>(2);
    servers.add(DnsServer.start(dns.listen(), first.dns, options));
    onStop.accept(servers.get(0));
    log.info("dns: fake-IP server on {} (udp, tcp)", dns.listen());
    if (listen6 != null) {
      servers.add(DnsServer.start(listen6, first.dns, options));
      onStop.accept(servers.get(1));
      log.info("dns: also on {} (udp, tcp)", listen6);
    }
    if (dns.systemResolver()) {
      host.pointSystemResolver(dns.listen(), config.plan().tunInetAddress());
    }
    return servers;
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

  static ThreadFactory daemonThreads(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }
}
