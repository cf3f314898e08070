package dev.turnout.launcher;

import ch.qos.logback.classic.Level;
import dev.turnout.fakedns.DnsServer;
import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.FakeDnsHandler;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.fakedns.FakeIpStore;
import dev.turnout.fakedns.Hosts;
import dev.turnout.fakedns.Upstream;
import dev.turnout.hostnet.AutoRoute;
import dev.turnout.hostnet.HostChanges;
import dev.turnout.hostnet.ProcessCommands;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.Ipv4Cidr;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.launcher.relay.HalfCloseSafeEpoll;
import dev.turnout.launcher.relay.RelayServer;
import dev.turnout.launcher.relay.RelaySettings;
import dev.turnout.launcher.relay.Router;
import dev.turnout.launcher.udp.DirectUdpOutbound;
import dev.turnout.launcher.udp.ProxiedUdpOutbound;
import dev.turnout.launcher.udp.UdpNatOrigins;
import dev.turnout.launcher.udp.UdpRelay;
import dev.turnout.natrewrite.FlowOffload;
import dev.turnout.natrewrite.Ipv4Range;
import dev.turnout.natrewrite.KernelFastPath;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.natrewrite.PacketRewriter;
import dev.turnout.natrewrite.TunDevice;
import dev.turnout.natrewrite.TunLoop;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.Outbounds;
import dev.turnout.rules.RuleEngine;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Turnout: DNS server, TUN device and its NAT loop, relay listener. Started in
 * dependency order; {@link #close} undoes everything in reverse order, and is what runs on SIGINT
 * and SIGTERM.
 */
final class Turnout implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Turnout.class);
  private static final java.time.Duration PROVIDER_REFRESH_TICK = java.time.Duration.ofSeconds(10);
  private static final int SESSION_PORT_FIRST = 1024;
  private static final int DIAL_TIMEOUT_MILLIS = 10_000;
  private static final int SESSION_PORT_LAST = 65535;

  /** Everything to undo, newest first. */
  private final Deque<Closeable> started = new ArrayDeque<>();

  private HostChanges hostChanges;

  private Turnout() {}

  /**
   * Starts, logging at {@code logLevel} (the file's or the command line's), waits for
   * SIGINT/SIGTERM, stops. Returns the process exit code.
   */
  static int runUntilSignalled(TurnoutConfig config, String logLevel) {
    setLogLevel(logLevel);
    Turnout turnout = new Turnout();
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              turnout.close();
              stopped.countDown();
            },
            "turnout-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      turnout.start(config);
    } catch (ConfigException e) {
      Main.printProblems(e);
      return Main.EXIT_CONFIG;
    } catch (Exception e) {
      log.error("cannot start: {}", e.getMessage(), e.getCause() == null ? null : e);
      return Main.EXIT_FAILURE; // the hook undoes what did start
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 0;
  }

  void start(TurnoutConfig config) throws Exception {
    AddressPlan plan = config.plan();
    TurnoutConfig.Dns dnsConfig = config.dns();
    // With auto-route, unmarked upstream queries would enter the TUN and be hijacked back to
    // Turnout: every upstream socket carries the routing mark, like the dialers' (DESIGN §4).
    Upstream upstream =
        Upstream.builder(dnsConfig.nameservers())
            .forbiddenRange(plan.range().first(), plan.range().last())
            .soMark(config.tun().routingMark())
            .build();
    started.push(upstream);
    FakeIpPool pool = new FakeIpPool(plan.fakeFirst(), plan.fakeLast());
    TurnoutConfig.FakeDns fake = config.fakeDns();
    FakeIpPool pool6 = fake.fakeIpRange6() == null ? null : FakeIpPool.ofCidr(fake.fakeIpRange6());
    if (fake.storeFakeIp()) {
      java.nio.file.Path storeFile = config.files().stateDir().resolve("fakeip.cache");
      List<FakeIpPool> pools = pool6 == null ? List.of(pool) : List.of(pool, pool6);
      FakeIpStore store = FakeIpStore.open(storeFile, pools, java.time.Duration.ofSeconds(1));
      started.push(store); // closed after the DNS server and the relay: a last snapshot
      log.info("dns: fake-IP mappings kept in {} ({} restored)", storeFile, store.loaded());
    }
    dev.turnout.outbound.HostResolver dialResolver =
        host -> upstream.resolveIpv4(host).thenApply(List::<InetAddress>copyOf);
    java.util.function.Predicate<InetAddress> ownRange =
        address ->
            address instanceof java.net.Inet4Address
                && plan.range().contains(Ipv4Cidr.toInt(address));
    Dialer dialer =
        new Dialer(
            dialResolver,
            ownRange,
            config.tun().routingMark(),
            config.proxies().interfaceName(),
            DIAL_TIMEOUT_MILLIS);
    EventLoopGroup loops =
        new MultiThreadIoEventLoopGroup(
            Runtime.getRuntime().availableProcessors(), HalfCloseSafeEpoll.newFactory());
    started.push(() -> loops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
    Outbounds outbounds = Components.outbounds(config, dialer, loops);
    started.push(outbounds::close);
    outbounds.start();
    RuleEngine rules =
        Components.rules(
            config,
            host -> {
              try {
                return List.copyOf(upstream.resolveIpv4(host).get(5, TimeUnit.SECONDS));
              } catch (java.util.concurrent.ExecutionException
                  | java.util.concurrent.TimeoutException e) {
                throw new IOException("cannot resolve " + host + ": " + e.getMessage(), e);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted resolving " + host, e);
              }
            },
            outbounds.asMap().keySet(),
            new MarkedListFetcher(dialer, loops));
    started.push(rules);
    if (!config.ruleProviders().isEmpty()) {
      ScheduledExecutorService refresher =
          Executors.newSingleThreadScheduledExecutor(daemonThreads("turnout-providers"));
      started.push(refresher::shutdownNow);
      rules.scheduleRefresh(refresher, PROVIDER_REFRESH_TICK);
    }
    Router router = new RuleRouter(rules, new ProcessLookup(java.nio.file.Path.of("/proc")));
    if (config.tun().enable()) {
      startTun(config, plan, pool, rules, router, outbounds.asMap(), upstream, loops);
    }
    if (dnsConfig.enable()) {
      FakeDnsHandler.Builder handler =
          FakeDnsHandler.builder(pool, upstream)
              .filter(
                  DomainFilter.of(dnsConfig.fakeIpFilter()),
                  DomainFilter.Mode.parse(fake.filterMode()))
              .hosts(Hosts.of(fake.hosts()));
      if (pool6 != null) {
        handler.ipv6Pool(pool6);
      }
      // Hijacked queries arrive from NAT session addresses: trusted like this host's own, so
      // hijack needs no allow-lan. Other hosts are answered only with allow-lan.
      DnsServer dns =
          DnsServer.start(
              dnsConfig.listen(),
              handler.build(),
              DnsServer.Options.defaults()
                  .withAllowLan(fake.allowLan())
                  .withTrusted(
                      a ->
                          a instanceof java.net.Inet4Address
                              && plan.range().contains(Ipv4Cidr.toInt(a))));
      started.push(dns);
      log.info("dns: fake-IP server on {} (udp, tcp), upstream {}", dnsConfig.listen(), upstream);
      if (dnsConfig.systemResolver()) {
        pointSystemResolver(config);
      }
    }
    log.info(
        "Turnout ready: fake IPs {}-{}, NAT sessions {}-{}",
        Ipv4Cidr.toAddress(plan.fakeFirst()).getHostAddress(),
        Ipv4Cidr.toAddress(plan.fakeLast()).getHostAddress(),
        Ipv4Cidr.toAddress(plan.natFirst()).getHostAddress(),
        Ipv4Cidr.toAddress(plan.natLast()).getHostAddress());
  }

  private void startTun(
      TurnoutConfig config,
      AddressPlan plan,
      FakeIpPool pool,
      RuleEngine rules,
      Router router,
      Map<String, Outbound> outbounds,
      Upstream upstream,
      EventLoopGroup relayLoops)
      throws IOException, InterruptedException {
    TurnoutConfig.Tun tunConfig = config.tun();
    java.nio.file.Path hostState = HostChanges.defaultStateDir(tunConfig.device());
    if (HostChanges.hasJournal(hostState) && !tunConfig.autoRoute()) {
      log.warn("undoing host changes left by a Turnout that did not stop cleanly");
      HostChanges.cleanup(hostState, ProcessCommands.host());
    }
    TunDevice tun =
        TunDevice.open(
            tunConfig.device(),
            plan.tunInetAddress(),
            plan.range().prefixLength(),
            tunConfig.mtu(),
            tunConfig.gso());
    started.push(tun);
    log.info(
        "tun: {} address {}/{} mtu {}{}; {} routed into it",
        tun.name(),
        plan.tunInetAddress().getHostAddress(),
        plan.range().prefixLength(),
        tunConfig.mtu(),
        tun.offload() ? ", checksum and segmentation offload" : "",
        plan.range());

    if (tunConfig.autoRoute()) {
      applyAutoRoute(tunConfig, tun.name(), config.fakeDns().allowLan());
    }

    NatTable nat =
        NatTable.builder(plan.natFirst(), plan.natLast(), SESSION_PORT_FIRST, SESSION_PORT_LAST)
            .udpTimeout(tunConfig.udpTimeout())
            .offload(fastPath(tunConfig, tun), plan.tunInetAddress())
            .build();

    ExecutorService blocking = Executors.newCachedThreadPool(daemonThreads("turnout-route"));
    started.push(blocking::shutdownNow);
    InetSocketAddress relayAddress =
        new InetSocketAddress(plan.tunInetAddress(), tunConfig.relayPort());
    FlowOrigins flowOrigins = new FlowOrigins(pool);
    RelayServer relay =
        RelayServer.start(
            relayAddress,
            relayLoops,
            new NatOrigins(nat, flowOrigins),
            router,
            outbounds,
            blocking,
            RelaySettings.DEFAULTS);
    started.push(relay);

    UdpRelay udpRelay =
        UdpRelay.start(
            relayAddress,
            relayLoops,
            new UdpNatOrigins(nat, flowOrigins),
            router,
            udpOutbounds(
                outbounds,
                new DirectUdpOutbound(
                    host -> upstream.resolveIpv4(host).thenApply(List::<InetAddress>copyOf),
                    address -> plan.range().contains(Ipv4Cidr.toInt(address)),
                    tunConfig.routingMark())),
            blocking,
            tunConfig.udpTimeout(),
            UdpRelay.DEFAULT_MAX_SESSIONS,
            System::nanoTime);
    started.push(udpRelay);

    PacketRewriter.Builder rewriterBuilder =
        PacketRewriter.builder(plan.tunInetAddress(), tunConfig.relayPort(), nat)
            .icmpEcho(new Ipv4Range(plan.range().first(), plan.range().last()));
    if (tunConfig.autoRoute()) {
      rewriterBuilder.captureAll();
    } else {
      rewriterBuilder.captured(plan.range().first(), plan.range().last());
    }
    if (tunConfig.dnsHijackUdp() || tunConfig.dnsHijackTcp()) {
      rewriterBuilder.dnsHijack(
          config.dns().listen().getPort(), tunConfig.dnsHijackUdp(), tunConfig.dnsHijackTcp());
    }
    rewriterBuilder.flowFilter(new RuleFlowFilter(rules, pool));
    PacketRewriter rewriter = rewriterBuilder.build();
    TunLoop loop = TunLoop.start(tun, rewriter);
    started.push(loop);
    log.info("relay: listening on {} (tcp, udp)", relayAddress);
  }

  /**
   * The kernel fast path on the TUN's egress, or {@link FlowOffload#NONE} when it is switched off
   * or this kernel or process cannot load it (then every packet crosses the TUN, as before).
   */
  private FlowOffload fastPath(TurnoutConfig.Tun tunConfig, TunDevice tun) {
    if (!tunConfig.fastPath()) {
      log.info("tun: kernel fast path off (tun.fast-path: false)");
      return FlowOffload.NONE;
    }
    try {
      KernelFastPath fastPath = KernelFastPath.attach(tun.name(), KernelFastPath.DEFAULT_MAX_FLOWS);
      started.push(() -> closeFastPath(fastPath));
      log.info(
          "tun: kernel fast path on {} egress ({}, BPF program id {}): established TCP flows"
              + " bypass the TUN",
          tun.name(),
          fastPath.hook().name().toLowerCase(java.util.Locale.ROOT),
          fastPath.programId());
      return fastPath;
    } catch (IOException e) {
      log.info("tun: no kernel fast path, every packet crosses the TUN: {}", e.getMessage());
      return FlowOffload.NONE;
    }
  }

  private static void closeFastPath(KernelFastPath fastPath) {
    long[] carried = fastPath.packetsAndBytes();
    fastPath.close();
    log.info("tun: the kernel fast path carried {} segments, {} bytes", carried[0], carried[1]);
  }

  /**
   * The UDP side of every policy that can carry datagrams: DIRECT through its own marked sockets,
   * proxies and groups (SOCKS5 UDP ASSOCIATE, Shadowsocks) through their associations. A policy
   * missing here (REJECT, a TCP-only proxy) closes the flow, and the relay logs why.
   */
  private static Map<String, dev.turnout.launcher.udp.UdpOutbound> udpOutbounds(
      Map<String, Outbound> outbounds, DirectUdpOutbound direct) {
    Map<String, dev.turnout.launcher.udp.UdpOutbound> udp = new java.util.HashMap<>();
    outbounds.forEach(
        (name, outbound) -> {
          if (outbound instanceof dev.turnout.outbound.UdpOutbound carrier
              && !name.equals(direct.name())) {
            udp.put(name, new ProxiedUdpOutbound(name, carrier));
          }
        });
    udp.put(direct.name(), direct);
    return Map.copyOf(udp);
  }

  /** The journal of host changes, opened (and its undo scheduled) on first use. */
  private HostChanges hostChanges(String device) throws IOException {
    if (hostChanges == null) {
      hostChanges = HostChanges.open(HostChanges.defaultStateDir(device), ProcessCommands.host());
      started.push(hostChanges);
    }
    return hostChanges;
  }

  /**
   * Points the host's resolver at Turnout's DNS: systemd-resolved's DNS for the TUN link when
   * resolved runs, otherwise /etc/resolv.conf. Journaled; undone before the DNS server stops.
   */
  private void pointSystemResolver(TurnoutConfig config) throws IOException {
    InetSocketAddress listen = config.dns().listen();
    String server =
        listen.getAddress().isAnyLocalAddress()
            ? config.plan().tunInetAddress().getHostAddress()
            : listen.getAddress().getHostAddress();
    if (listen.getPort() != 53) {
      throw new IOException(
          "dns.system-resolver needs dns.listen on port 53; resolvers cannot use " + listen);
    }
    HostChanges changes = hostChanges(config.tun().device());
    if (changes.setLinkDns(config.tun().device(), List.of(server))) {
      log.info("dns: systemd-resolved sends every query for this host to {}", server);
    } else {
      changes.replaceResolvConf(
          java.nio.file.Path.of("/etc/resolv.conf"),
          "# written by Turnout while it runs; the original comes back when it stops\n"
              + "nameserver "
              + server
              + "\n");
      log.info("dns: /etc/resolv.conf points at {} while Turnout runs", server);
    }
  }

  /** Routes everything into the TUN; every rule and route is journaled and undone on stop. */
  private void applyAutoRoute(TurnoutConfig.Tun tunConfig, String device, boolean gateway)
      throws IOException {
    HostChanges changes = hostChanges(device);
    AutoRoute.Builder route =
        AutoRoute.builder(device)
            .mark(tunConfig.routingMark())
            .dnsHijack(tunConfig.dnsHijackUdp() || tunConfig.dnsHijackTcp())
            .strictRoute(tunConfig.strictRoute())
            .gateway(gateway); // allow-lan: forward (and capture) other hosts' traffic
    tunConfig.routeExcludeAddress().forEach(route::excludeAddress);
    for (String uids : tunConfig.excludeUids()) {
      String[] range = uids.split("-");
      route.excludeUids(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
    }
    route.build().apply(changes);
    log.info(
        "tun: auto-route on: rules {}..{} send everything unmarked to table {} (mark {})",
        AutoRoute.DEFAULT_PRIORITY,
        AutoRoute.DEFAULT_PRIORITY + AutoRoute.BLOCK - 1,
        AutoRoute.DEFAULT_TABLE,
        "0x" + Integer.toHexString(tunConfig.routingMark()));
  }

  private static java.util.concurrent.ThreadFactory daemonThreads(String name) {
    return runnable -> {
      Thread thread = new Thread(runnable, name);
      thread.setDaemon(true);
      return thread;
    };
  }

  private static void setLogLevel(String level) {
    Level logback =
        switch (level) {
          case "silent" -> Level.OFF;
          case "error" -> Level.ERROR;
          case "warning" -> Level.WARN;
          case "debug" -> Level.DEBUG;
          default -> Level.INFO;
        };
    ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(Logger.ROOT_LOGGER_NAME))
        .setLevel(logback);
  }

  /**
   * Undoes everything started, newest first, then drains the asynchronous log appender so that no
   * line is lost when the JVM halts. Runs once, from the shutdown hook.
   */
  @Override
  public synchronized void close() {
    if (!started.isEmpty()) {
      log.info("stopping");
      while (!started.isEmpty()) {
        Closeable next = started.pop();
        try {
          next.close();
        } catch (Exception e) {
          log.warn("while stopping {}: {}", next, e.toString());
        }
      }
      log.info("Turnout stopped");
    }
    ((ch.qos.logback.classic.LoggerContext) LoggerFactory.getILoggerFactory()).stop();
  }
}
