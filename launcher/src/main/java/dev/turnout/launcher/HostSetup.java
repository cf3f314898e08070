package dev.turnout.launcher;

import dev.turnout.hostnet.AutoRoute;
import dev.turnout.hostnet.FirewallWatch;
import dev.turnout.hostnet.ForwardedNat;
import dev.turnout.hostnet.ForwardedPorts;
import dev.turnout.hostnet.HostChanges;
import dev.turnout.hostnet.MacSelection;
import dev.turnout.hostnet.ProcessCommands;
import dev.turnout.hostnet.TunFirewall;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.rules.RuleEngine;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turnout's changes to the host — auto-route's ip rules and routes, the system resolver — all
 * through one journal per TUN device, opened on first use; its undo is registered at once, so every
 * change is undone on stop, and by the next start or {@code turnout cleanup} after a crash.
 */
final class HostSetup {
  private static final Logger log = LoggerFactory.getLogger(HostSetup.class);

  /**
   * How often the kernel's list of iptables-legacy tables is read (two small files), and where it
   * lists any, their chains looked at (which runs iptables-legacy).
   */
  private static final int LEGACY_CHECK_MILLIS = 5000;

  private final String device;
  private final Consumer<Closeable> onStop;
  private HostChanges changes;
  private AutoRoute captureAll; // the auto-route applied, if any
  private boolean forwardOpened; // gateway mode or direct-nat opened the forward chains

  HostSetup(String device, Consumer<Closeable> onStop) {
    this.device = device;
    this.onStop = onStop;
  }

  /** Undoes what a Turnout that did not stop cleanly left in this device's journal. */
  void undoLeftovers() throws IOException {
    Path state = HostChanges.defaultStateDir(device);
    if (HostChanges.hasJournal(state)) {
      log.warn("undoing host changes left by a Turnout that did not stop cleanly");
      HostChanges.cleanup(state, ProcessCommands.host());
    }
  }

  private HostChanges changes() throws IOException {
    if (changes == null) {
      changes = HostChanges.open(HostChanges.defaultStateDir(device), ProcessCommands.host());
      onStop.accept(changes);
    }
    return changes;
  }

  /**
   * Routes everything into the TUN, IPv6 too when the TUN serves it; every rule and route is
   * journaled and undone on stop.
   */
  void autoRoute(TurnoutConfig.Tun tun, String name, boolean gateway, boolean ipv6)
      throws IOException {
    AutoRoute.Builder route =
        AutoRoute.builder(name)
            .mark(tun.routingMark())
            .dnsHijack(tun.dnsHijackUdp() || tun.dnsHijackTcp())
            .strictRoute(tun.strictRoute())
            .ipv6(ipv6)
            .gateway(gateway) // allow-lan: forward (and capture) other hosts' traffic
            .routedBySets(!tun.routeAddressSets().isEmpty());
    forwardOpened |= gateway;
    tun.routeExcludeAddress().forEach(route::excludeAddress);
    tun.routeAddress().forEach(route::routeAddress);
    tun.excludeInterfaces().forEach(route::excludeInterface);
    tun.includeInterfaces().forEach(route::includeInterface);
    for (String ports : tun.excludeSrcPorts()) {
      String[] range = ports.split("-");
      route.excludePorts(true, Integer.parseInt(range[0]), Integer.parseInt(range[1]));
    }
    for (String ports : tun.excludeDstPorts()) {
      String[] range = ports.split("-");
      route.excludePorts(false, Integer.parseInt(range[0]), Integer.parseInt(range[1]));
    }
    for (String uids : tun.includeUids()) {
      String[] range = uids.split("-");
      route.includeUids(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
    }
    for (String uids : tun.excludeUids()) {
      String[] range = uids.split("-");
      route.excludeUids(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
    }
    captureAll = route.build();
    captureAll.apply(changes());
    // include/exclude-mac-address: devices left out get the mark whose rule leads to main
    MacSelection.apply(changes(), name, tun.routingMark(), tun.includeMacs(), tun.excludeMacs());
    if (!tun.includeMacs().isEmpty() || !tun.excludeMacs().isEmpty()) {
      log.info(
          "tun: devices captured by MAC address: {}{}",
          tun.includeMacs().isEmpty()
              ? "all but " + tun.excludeMacs()
              : "only " + tun.includeMacs(),
          !tun.includeMacs().isEmpty() && !tun.excludeMacs().isEmpty()
              ? ", less " + tun.excludeMacs()
              : "");
    }
    log.info(
        "tun: auto-route on{}: rules {}..{} send everything unmarked to table {} (mark {})",
        ipv6 ? " for IPv4 and IPv6" : "",
        AutoRoute.DEFAULT_PRIORITY,
        AutoRoute.DEFAULT_PRIORITY + AutoRoute.BLOCK - 1,
        AutoRoute.DEFAULT_TABLE,
        "0x" + Integer.toHexString(tun.routingMark()));
  }

  /**
   * Keeps auto-route's routes from the rule sets {@code tun.route-address-set} and {@code
   * tun.route-exclude-address-set} name in step with those providers ({@link AddressSetSync}): now,
   * then every {@code tick}. Call after {@link #autoRoute}; does nothing without such sets.
   */
  void followAddressSets(
      TurnoutConfig.Tun tun,
      Supplier<RuleEngine> rules,
      ScheduledExecutorService scheduler,
      Duration tick)
      throws IOException {
    if (captureAll == null
        || tun.routeAddressSets().isEmpty() && tun.routeExcludeAddressSets().isEmpty()) {
      return;
    }
    AddressSetSync sync =
        new AddressSetSync(
            captureAll.addressSetRoutes(),
            changes(),
            rules,
            tun.routeAddressSets(),
            tun.routeExcludeAddressSets());
    sync.run();
    ScheduledFuture<?> following =
        scheduler.scheduleWithFixedDelay(
            sync, tick.toMillis(), tick.toMillis(), TimeUnit.MILLISECONDS);
    onStop.accept(() -> following.cancel(false));
  }

  /**
   * Opens the host firewall's input chains that drop by default to what arrives from the TUN
   * ({@link TunFirewall#openInput}): the relay's and the DNS server's connections. Journaled (the
   * journal opens here: {@link #watchFirewall} needs it anyway). A failure is logged, not thrown:
   * Turnout still works where the firewall lets those in.
   */
  void openInputToTheTun(String name) {
    try {
      TunFirewall.openInput(changes(), name);
    } catch (IOException e) {
      log.warn(
          "tun: the host firewall drops connections arriving from {}, and opening it failed ({});"
              + " relayed connections and hijacked DNS will fail unless it accepts them",
          name,
          e.getMessage());
    }
  }

  /**
   * Makes the host forward and masquerade the TUN's DIRECT flows from {@code pool} ({@link
   * ForwardedNat}), TCP to the session ports of {@code ports} unless null; call after {@link
   * #autoRoute}, whose rules it completes. Journaled.
   *
   * @throws IOException naming the step that failed (nftables missing, say)
   */
  void directNat(String name, String pool, ForwardedPorts ports) throws IOException {
    forwardOpened = true;
    ForwardedNat.apply(changes(), name, pool, captureAll, ports);
  }

  /**
   * Keeps the host firewall open to the TUN while Turnout runs ({@link FirewallWatch}): after a
   * firewall reload, or a firewall started after Turnout, each chain that drops by default gets
   * Turnout's accept (again), journaled as at start. Call once the rest of the host is set up. The
   * journal opens now, so that the watch's thread never registers an undo, and the watch stops
   * before that undo runs, so that it never puts back what the undo deletes.
   */
  void watchFirewall(String name) {
    boolean forward = forwardOpened;
    try {
      HostChanges journal = changes();
      // iptables-legacy's reloads send no message, nor does its first load (ufw starting after
      // Turnout at boot): its chains are looked at on a timer whenever the kernel lists its tables
      AtomicBoolean legacyFailing = new AtomicBoolean();
      onStop.accept(
          FirewallWatch.start(
              () -> reopenFirewall(journal, name, forward),
              () -> {
                if (TunFirewall.legacyTablesListed()) {
                  reopenLegacyFirewall(journal, name, forward, legacyFailing);
                }
              },
              LEGACY_CHECK_MILLIS));
    } catch (IOException e) {
      log.info(
          "tun: not watching the host firewall ({}): a firewall reloaded while Turnout runs may"
              + " drop what arrives from {} until Turnout restarts",
          e.getMessage(),
          name);
    }
  }

  private static void reopenFirewall(HostChanges changes, String name, boolean forward) {
    try {
      TunFirewall.reopen(changes, name, forward);
    } catch (IOException | IllegalStateException e) {
      log.warn("host: opening the changed firewall to {} failed: {}", name, e.getMessage());
    }
  }

  /** As {@link #reopenFirewall}, on a timer: a failure is logged once until it passes. */
  private static void reopenLegacyFirewall(
      HostChanges changes, String name, boolean forward, AtomicBoolean failing) {
    try {
      TunFirewall.reopenLegacy(changes, name, forward);
      failing.set(false);
    } catch (IOException | IllegalStateException e) {
      if (!failing.getAndSet(true)) {
        log.warn("host: opening iptables-legacy's chains to {} failed: {}", name, e.getMessage());
      }
    }
  }

  /**
   * Points the host's resolver at Turnout's DNS: systemd-resolved's DNS for the TUN link when
   * resolved runs, otherwise /etc/resolv.conf. Journaled; undone before the DNS server stops.
   *
   * @param listen the DNS listener; on the wildcard address, {@code tunAddress} is named
   */
  void pointSystemResolver(InetSocketAddress listen, InetAddress tunAddress) throws IOException {
    String server =
        listen.getAddress().isAnyLocalAddress()
            ? tunAddress.getHostAddress()
            : listen.getAddress().getHostAddress();
    if (listen.getPort() != 53) {
      throw new IOException(
          "dns.system-resolver needs dns.listen on port 53; resolvers cannot use " + listen);
    }
    if (changes().setLinkDns(device, List.of(server))) {
      log.info("dns: systemd-resolved sends every query for this host to {}", server);
    } else {
      changes()
          .replaceResolvConf(
              Path.of("/etc/resolv.conf"),
              "# written by Turnout while it runs; the original comes back when it stops\n"
                  + "nameserver "
                  + server
                  + "\n");
      log.info("dns: /etc/resolv.conf points at {} while Turnout runs", server);
    }
  }
}
