package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.natrewrite.FlowOffload;
import dev.turnout.natrewrite.Ipv4Range;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.natrewrite.PacketRewriter;
import dev.turnout.natrewrite.TunLoop;
import dev.turnout.natrewrite.kernel.KernelFastPath;
import dev.turnout.natrewrite.kernel.TunDevice;
import dev.turnout.netbase.LocalAddresses;
import dev.turnout.netbase.TimeSource;
import dev.turnout.relay.tcp.RelayServer;
import dev.turnout.relay.udp.UdpRelay;
import io.netty.channel.EventLoopGroup;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires the captured data path: the TUN device (and auto-route), the kernel fast path, the NAT
 * table, the TCP and UDP relay listeners on the TUN address, and the loop that reads, rewrites and
 * writes back every packet. All of it lives as long as Turnout; the relays and the loop's flow
 * filter route with whatever {@link Generation} {@link LiveRouting} holds at the time.
 */
final class TunPath {
  private static final Logger log = LoggerFactory.getLogger(TunPath.class);
  private static final int SESSION_PORT_FIRST = 1024;
  private static final int SESSION_PORT_LAST = 65535;

  private TunPath() {}

  /**
   * Starts the captured data path; returns its NAT table.
   *
   * @param local this host's addresses: without {@code allow-lan} only they start flows
   */
  static NatTable start(
      TurnoutConfig config,
      FakeIpPool pool,
      LiveRouting routing,
      SharedRelay relay,
      EventLoopGroup loops,
      HostSetup host,
      LocalAddresses local,
      Consumer<Closeable> onStop)
      throws IOException, InterruptedException {
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
    log.info(
        "tun: {} address {}/{} mtu {}{}; {} routed into it",
        tun.name(),
        plan.tunInetAddress().getHostAddress(),
        plan.range().prefixLength(),
        tunConfig.mtu(),
        tun.offload() ? ", checksum and segmentation offload" : "",
        plan.range());
    if (tunConfig.autoRoute()) {
      host.autoRoute(tunConfig, tun.name(), config.fakeDns().allowLan());
    }
    NatTable nat =
        NatTable.builder(plan.natFirst(), plan.natLast(), SESSION_PORT_FIRST, SESSION_PORT_LAST)
            .udpTimeout(tunConfig.udpTimeout())
            .offload(fastPath(tunConfig, tun, onStop), plan.tunInetAddress())
            .build();

    InetSocketAddress relayAddress =
        new InetSocketAddress(plan.tunInetAddress(), tunConfig.relayPort());
    NatOrigins origins = new NatOrigins(nat, pool);
    onStop.accept(RelayServer.start(relayAddress, loops, origins, relay.tcp()));
    onStop.accept(
        UdpRelay.start(
            relayAddress,
            loops,
            origins,
            routing,
            relay.routing(),
            relay.tcp().connections(),
            tunConfig.udpTimeout(),
            UdpRelay.DEFAULT_MAX_SESSIONS,
            TimeSource.SYSTEM));

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
    rewriter.flowFilter(routing);
    if (!config.fakeDns().allowLan()) {
      rewriter.localSources(local::containsIpv4); // other hosts' flows are dropped, counted
    }
    onStop.accept(TunLoop.start(tun, rewriter.build()));
    log.info("relay: listening on {} (tcp, udp)", relayAddress);
    return nat;
  }

  /**
   * The kernel fast path on the TUN's egress, or {@link FlowOffload#NONE} when it is switched off
   * or this kernel or process cannot load it (then every packet crosses the TUN).
   */
  private static FlowOffload fastPath(
      TurnoutConfig.Tun tunConfig, TunDevice tun, Consumer<Closeable> onStop) {
    if (!tunConfig.fastPath()) {
      log.info("tun: kernel fast path off (tun.fast-path: false)");
      return FlowOffload.NONE;
    }
    try {
      KernelFastPath fastPath = KernelFastPath.attach(tun.name(), KernelFastPath.DEFAULT_MAX_FLOWS);
      onStop.accept(() -> closeFastPath(fastPath));
      log.info(
          "tun: kernel fast path on {} egress ({}, BPF program id {}): established TCP flows"
              + " bypass the TUN",
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
