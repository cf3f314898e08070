package dev.turnout.launcher;

import dev.turnout.natrewrite.NatFlow;
import dev.turnout.natrewrite.NatTable;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Who a DNS query counts against for the fake-IP quota: its source address, except for queries that
 * DNS hijack delivered from a NAT session address, which count against the host that sent them (the
 * flow's source in the NAT table; this host when the table no longer knows). So every LAN host
 * behind a gateway has its own quota, hijacked or not, and hijack cannot be used to get a fresh
 * quota per query. Thread-safe: the NAT table is.
 */
final class DnsClients implements Function<InetSocketAddress, InetAddress> {
  private final Predicate<InetAddress> sessions;
  private final InetAddress thisHost;
  private final NatTable nat; // null: no TUN, no hijack

  DnsClients(Predicate<InetAddress> sessions, InetAddress thisHost, NatTable nat) {
    this.sessions = sessions;
    this.thisHost = thisHost;
    this.nat = nat;
  }

  @Override
  public InetAddress apply(InetSocketAddress source) {
    if (!sessions.test(source.getAddress())) {
      return source.getAddress();
    }
    Optional<NatFlow> flow = nat == null ? Optional.empty() : nat.udpFlow(source);
    return flow.map(f -> f.source().getAddress()).orElse(thisHost);
  }
}
