package dev.turnout.launcher;

import ch.qos.logback.classic.Level;
import dev.turnout.fakedns.DnsServer;
import dev.turnout.fakedns.DomainFilter;
import dev.turnout.fakedns.FakeDnsHandler;
import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.fakedns.Upstream;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.Ipv4Cidr;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.launcher.relay.RelayServer;
import dev.turnout.launcher.relay.RelaySettings;
import dev.turnout.launcher.relay.Router;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.natrewrite.PacketRewriter;
import dev.turnout.natrewrite.TunDevice;
import dev.turnout.natrewrite.TunLoop;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.rules.RuleEngine;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
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
  private static final int SESSION_PORT_LAST = 65535;

  /** Everything to undo, newest first. */
  private final Deque<Closeable> started = new ArrayDeque<>();

  private Turnout() {}

  /** Starts, waits for SIGINT/SIGTERM, stops. Returns the process exit code. */
  static int runUntilSignalled(TurnoutConfig config) {
    setLogLevel(config.logLevel());
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
    Upstream upstream =
        Upstream.builder(dnsConfig.nameservers())
            .forbiddenRange(plan.range().first(), plan.range().last())
            .build();
    FakeIpPool pool = new FakeIpPool(plan.fakeFirst(), plan.fakeLast());
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
            });
    started.push(rules);
    if (!config.ruleProviders().isEmpty()) {
      ScheduledExecutorService refresher =
          Executors.newSingleThreadScheduledExecutor(daemonThreads("turnout-providers"));
      started.push(refresher::shutdownNow);
      rules.scheduleRefresh(refresher, PROVIDER_REFRESH_TICK);
    }
    Router router = new RuleRouter(rules, new ProcessLookup(java.nio.file.Path.of("/proc")));
    Map<String, Outbound> outbounds =
        Map.of(
            "DIRECT",
            new DirectOutbound(
                host -> upstream.resolveIpv4(host).thenApply(List::<InetAddress>copyOf),
                address -> plan.range().contains(Ipv4Cidr.toInt(address))),
            "REJECT",
            new RejectOutbound());

    if (config.tun().enable()) {
      startTun(config, plan, pool, router, outbounds);
    }
    if (dnsConfig.enable()) {
      FakeDnsHandler handler =
          new FakeDnsHandler(pool, DomainFilter.of(dnsConfig.fakeIpFilter()), upstream);
      DnsServer dns = DnsServer.start(dnsConfig.listen(), handler);
      started.push(dns);
      log.info("dns: fake-IP server on {} (udp, tcp), upstream {}", dnsConfig.listen(), upstream);
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
      Router router,
      Map<String, Outbound> outbounds)
      throws IOException, InterruptedException {
    TurnoutConfig.Tun tunConfig = config.tun();
    TunDevice tun =
        TunDevice.open(
            tunConfig.device(),
            plan.tunInetAddress(),
            plan.range().prefixLength(),
            tunConfig.mtu());
    started.push(tun);
    log.info(
        "tun: {} address {}/{} mtu {}; {} routed into it",
        tun.name(),
        plan.tunInetAddress().getHostAddress(),
        plan.range().prefixLength(),
        tunConfig.mtu(),
        plan.range());

    NatTable nat =
        new NatTable(
            plan.natFirst(),
            plan.natLast(),
            SESSION_PORT_FIRST,
            SESSION_PORT_LAST,
            NatTable.DEFAULT_UNCLAIMED_TIMEOUT,
            NatTable.DEFAULT_GRACE,
            dev.turnout.natrewrite.Ticker.system());

    EventLoopGroup relayLoops =
        new MultiThreadIoEventLoopGroup(
            Runtime.getRuntime().availableProcessors(), EpollIoHandler.newFactory());
    started.push(() -> relayLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly());
    ExecutorService blocking = Executors.newCachedThreadPool(daemonThreads("turnout-route"));
    started.push(blocking::shutdownNow);
    InetSocketAddress relayAddress =
        new InetSocketAddress(plan.tunInetAddress(), tunConfig.relayPort());
    RelayServer relay =
        RelayServer.start(
            relayAddress,
            relayLoops,
            new NatOrigins(nat, pool),
            router,
            outbounds,
            blocking,
            RelaySettings.DEFAULTS);
    started.push(relay);

    PacketRewriter rewriter =
        new PacketRewriter(
            plan.tunInetAddress(),
            tunConfig.relayPort(),
            plan.range().first(),
            plan.range().last(),
            nat);
    TunLoop loop = TunLoop.start(tun, rewriter);
    started.push(loop);
    log.info("relay: listening on {}", relayAddress);
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
