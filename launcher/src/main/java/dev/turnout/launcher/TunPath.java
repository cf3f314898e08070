package dev.turnout.launcher;

import dev.turnout.hostnet.ForwardedPorts;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.AddressPlan6;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.natrewrite.FlowOffload;
import dev.turnout.natrewrite.Ipv4Range;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.natrewrite.PacketRewriter;
import dev.turnout.natrewrite.TunLoop;
import dev.turnout.natrewrite.kernel.KernelFastPath;
import dev.turnout.natrewrite.kernel.TunDevice;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.LocalAddresses;
import dev.turnout.netbase.TimeSource;
import dev.turnout.relay.tcp.RelayServer;
import dev.turnout.relay.udp.UdpRelay;
import io.netty.channel.EventLoopGroup;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the captured data path: the TUN device (and auto-route), the kernel fast path, the NAT
 * table, the TCP and UDP relay listeners on the TUN address, and the loop that reads, rewrites and
 * writes back every packet. With IPv6 on, the TUN also gets its IPv6 address and range, the NAT an
 * IPv6 pool, and the relay listens on the IPv6 TUN address too ({@link #startIpv6}); a host that
 * cannot give the TUN an IPv6 address runs IPv4 only. All of it lives as long as Turnout; the
 * relays and the loop's flow filter route with whatever {@link Generation} {@link LiveRouting}
 * holds at the time.
 */
final class TunPath {
  private static final Logger log = LoggerFactory.getLogger(TunPath.class);
  private static final int SESSION_PORT_FIRST = 1024;
  private static final int SESSION_PORT_LAST = 65535;

  private TunPath() {}

  /**
   * Starts the captured data path: without {@code allow-lan} only {@code base}'s local addresses
   * start flows; with {@code tun.direct-nat} it sets {@code base}'s direct-NAT flag once the host
   * forwards the NAT pool.
   */
  static Running start(
      TurnoutConfig config,
      Foundation base,
      LiveRouting routing,
      SharedRelay relay,
      HostSetup host,
      Consumer<Closeable> onStop)
      throws IOException, InterruptedException {
    FakePools pools = base.pools();
    EventLoopGroup loops = base.loops();
    LocalAddresses local = base.local();
    AddressPlan plan = config.plan();
    TurnoutConfig.Tun tunConfig = config.tun();
    if (!tunConfig.autoRoute()) {
      host.undoLeftovers();
    }
    TunDevice tun =
        TunDevice.open(
            tunConfig.device(),
            plan.tunInetAddress(),
            plan.range().prefixLength(),
            tunConfig.mtu(),
            tunConfig.gso());
    onStop.accept(tun);
    AddressPlan6 plan6 = startIpv6(tun, plan.ipv6());
    log.info(
        "tun: {} address {}/{} mtu {}{}; {} routed into it",
        tun.name(),
        plan.tunInetAddress().getHostAddress(),
        plan.range().prefixLength(),
        tunConfig.mtu(),
        tun.offload() ? ", checksum and segmentation offload" : "",
        plan.range());
    host.openInputToTheTun(tun.name());
    if (tunConfig.autoRoute()) {
      host.autoRoute(tunConfig, tun.name(), config.fakeDns().allowLan(), plan6 != null);
      host.followAddressSets(
          tunConfig, () -> routing.current().rules, base.scheduler(), Generation.REFRESH_TICK);
    }
    boolean forwarding = DirectNat.wanted(config);
    ForwardedPorts forwardedPorts =
        forwarding ? startDirectNat(config, plan, tun.name(), host, base) : null;
    host.watchFirewall(tun.name());
    NatTable.Builder natTable =
        NatTable.builder(plan.natFirst(), plan.natLast(), SESSION_PORT_FIRST, SESSION_PORT_LAST)
            .udpTimeout(tunConfig.udpTimeout())
            .forwardedFlows(new ForwardedConnections(base.connections(), base.forwarding()))
            .offload(
                fastPath(tunConfig, tun, plan6 != null, forwarding, onStop), plan.tunInetAddress());
    if (forwardedPorts != null) {
      natTable.forwardedPorts(
          forwardedPorts.appFirst(), forwardedPorts.appLast(), forwardedPorts.sessionFirst());
    }
    if (plan6 != null) {
      natTable.ipv6Pool(plan6.natFirst(), plan6.natCount(), plan6.tunAddress());
    }
    NatTable nat = natTable.build();
    if (forwarding) { // forwarded flows' bytes never pass the relay
      base.connections().countAlso(() -> nat.forwardedBytes(true), () -> nat.forwardedBytes(false));
    }

    InetSocketAddress relayAddress =
        new InetSocketAddress(plan.tunInetAddress(), tunConfig.relayPort());
    NatOrigins origins = new NatOrigins(nat, pools);
    List<InetSocketAddress> listeners = new ArrayList<>(List.of(relayAddress));
    if (plan6 != null) {
      listeners.add(new InetSocketAddress(plan6.tunAddress(), tunConfig.relayPort()));
    }
    for (InetSocketAddress listen : listeners) {
      onStop.accept(RelayServer.start(listen, loops, origins, relay.tcp()));
      onStop.accept(
          UdpRelay.start(
              listen,
              loops,
              origins,
              routing,
              relay.routing(),
              relay.tcp().connections(),
              tunConfig.udpTimeout(),
              UdpRelay.DEFAULT_MAX_SESSIONS,
              TimeSource.SYSTEM));
    }

    PacketRewriter.Builder rewriter =
        PacketRewriter.builder(plan.tunInetAddress(), tunConfig.relayPort(), nat)
            .icmpEcho(new Ipv4Range(plan.range().firstIpv4(), plan.range().lastIpv4()));
    if (tunConfig.autoRoute()) {
      rewriter.captureAll();
    } else {
      rewriter.captured(plan.range().firstIpv4(), plan.range().lastIpv4());
    }
    if (tunConfig.dnsHijackUdp() || tunConfig.dnsHijackTcp()) {
      rewriter.dnsHijack(
          config.dns().listen().getPort(), tunConfig.dnsHijackUdp(), tunConfig.dnsHijackTcp());
    }
    if (plan6 != null) {
      rewriter.ipv6(plan6.tunAddress(), plan6.range()).icmpEcho6(plan6.range());
    }
    rewriter.flowFilter(routing);
    if (!config.fakeDns().allowLan()) {
      rewriter.localSources(local::containsIpv4); // other hosts' flows are dropped, counted
      rewriter.localSources6(local::contains);
    }
    onStop.accept(TunLoop.start(tun, rewriter.build()));
    log.info("relay: listening on {} (tcp, udp)", listeners);
    return new Running(nat, plan6);
  }

  /**
   * Makes the host forward and masquerade what comes from the NAT pool, for DIRECT flows the kernel
   * forwards ({@link DirectNat}); where it cannot, they are relayed like any other. Returns where
   * forwarded flows' ports go, or null if they keep the apps' own (or nothing is forwarded).
   */
  private static ForwardedPorts startDirectNat(
      TurnoutConfig config, AddressPlan plan, String device, HostSetup host, Foundation base)
      throws IOException {
    String pool = Ipv4.format(plan.natFirst()) + "/" + (plan.range().prefixLength() + 1);
    boolean asked = DirectNat.asked(config);
    ForwardedPorts ports;
    try {
      ports = ForwardedPorts.ofThisHost();
    } catch (IOException e) {
      if (!asked) { // sharing them is what a server may answer with a second's wait (see there)
        log.info("tun: DIRECT flows are relayed: {}", e.getMessage());
        return null;
      }
      log.warn(
          "tun.direct-nat: forwarded flows keep the apps' ports, which the host's own connections"
              + " take too ({}); a server may then make some new connections wait a second",
          e.getMessage());
      ports = null;
    }
    try {
      host.directNat(device, pool, ports);
    } catch (IOException e) {
      if (asked) {
        log.warn("tun.direct-nat: DIRECT flows are relayed: {}", e.getMessage());
      } else {
        log.info(
            "tun: DIRECT flows are relayed, as the kernel cannot forward them here: {}",
            e.getMessage());
      }
      return null;
    }
    base.forwarding().ready();
    log.info(
        "tun: direct-nat on: the kernel forwards DIRECT TCP flows over IPv4 from {}, masqueraded{}",
        pool,
        ports == null
            ? ""
            : " from ports "
                + ports.sessionFirst()
                + "-"
                + ports.sessionLast()
                + " (the apps' "
                + ports.appFirst()
                + "-"
                + ports.appLast()
                + ", moved off the host's own)");
    return ports;
  }

  /**
   * The running path: its NAT table, and the IPv6 plan in force (null when the TUN serves IPv4
   * only).
   */
  record Running(NatTable nat, AddressPlan6 ipv6) {}

  /**
   * Gives the TUN its IPv6 address, whose prefix (the IPv6 range) the kernel then routes into it.
   * Null, and logged, when IPv6 is off or this host has none.
   */
  private static AddressPlan6 startIpv6(TunDevice tun, AddressPlan6 plan6)
      throws InterruptedException {
    if (plan6 == null) {
      return null;
    }
    try {
      tun.addIpv6Address(plan6.tunAddress(), plan6.range().prefixLength());
    } catch (IOException e) {
      log.warn("tun: running without IPv6 ({}); set ipv6: false to silence this", e.getMessage());
      return null;
    }
    int prefix = plan6.range().prefixLength();
    log.info(
        "tun: {} IPv6 address {}/{}; {}/{} routed into it",
        tun.name(),
        IpLiterals.format(plan6.tunAddress()),
        prefix,
        IpLiterals.format(plan6.range().network()),
        prefix);
    return plan6;
  }

  /**
   * The kernel fast path on the TUN's egress, or {@link FlowOffload#NONE} when it is switched off
   * or this kernel or process cannot load it (then every packet crosses the TUN).
   */
  private static FlowOffload fastPath(
      TurnoutConfig.Tun tunConfig,
      TunDevice tun,
      boolean ipv6,
      boolean forwarding,
      Consumer<Closeable> onStop) {
    if (!tunConfig.fastPath()) {
      log.info("tun: kernel fast path off (tun.fast-path: false)");
      return FlowOffload.NONE;
    }
    try {
      int flows = KernelFastPath.DEFAULT_MAX_FLOWS;
      KernelFastPath fastPath =
          KernelFastPath.attach(tun.name(), flows, ipv6 ? flows : 1, null, forwarding);
      onStop.accept(() -> closeFastPath(fastPath));
      log.info(
          "tun: kernel fast path on {} egress ({}, BPF program id {}): established TCP flows"
              + " and relayed UDP flows bypass the TUN",
          tun.name(),
          fastPath.hook().name().toLowerCase(Locale.ROOT),
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
}
