package dev.turnout.launcher;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.launcher.config.AddressPlan;
import dev.turnout.netbase.LocalAddresses;
import dev.turnout.netbase.Neighbors;
import dev.turnout.relay.Connections;
import io.netty.channel.EventLoopGroup;
import java.util.concurrent.ScheduledExecutorService;

/**
 * The parts of a running Turnout that outlive every reload, which each {@link Generation} builds
 * on: the address plan, the fake-IP pools (so no application's cached answer is invalidated), the
 * event loops, one scheduler for provider refreshes and retirements, the live connections, the
 * process lookup and this host's addresses (which DIRECT reaches only where a rule names them). The
 * TUN, NAT, relays, local proxy listeners and DNS listener are long-lived too; they reach the
 * current generation through {@link LiveRouting}. {@code pool6} is null without {@code dns.ipv6}.
 * {@code forwarding} is what the kernel forwarding of DIRECT flows learns ({@link DirectNat}).
 */
record Foundation(
    AddressPlan plan,
    FakeIpPool pool,
    FakeIpPool pool6,
    EventLoopGroup loops,
    ScheduledExecutorService scheduler,
    Connections connections,
    ProcessLookup processes,
    Neighbors neighbors,
    LocalAddresses local,
    ForwardingState forwarding) {

  /** The pools a flow's destination may come from. */
  FakePools pools() {
    return new FakePools(pool, pool6);
  }
}
