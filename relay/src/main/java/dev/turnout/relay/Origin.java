package dev.turnout.relay;

import dev.turnout.netbase.IpLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * What a relayed flow really was before the NAT rewrote it: the application's own socket address,
 * the address it dialed (often a fake IP), and what that address stands for — the name behind a
 * fake IP, or the real address when the application dialed a literal one. {@code route} is the
 * route already chosen on the flow's first packet, or null when the relay must ask its {@link
 * Router} (a rule needed a lookup that may block). {@code inbound} is where the flow entered
 * Turnout: the TUN, or a local proxy listener; a proxy client that asked for a name dialed nothing,
 * so its {@code dialed} is unresolved (the name and the port).
 */
public record Origin(
    boolean udp,
    InetSocketAddress source,
    InetSocketAddress dialed,
    String host,
    InetAddress realAddress,
    Router.Route route,
    Inbound inbound) {

  public Origin {
    if (inbound == null) {
      throw new IllegalArgumentException("an origin needs an inbound");
    }
  }

  /** A flow captured through the TUN. */
  public Origin(
      boolean udp,
      InetSocketAddress source,
      InetSocketAddress dialed,
      String host,
      InetAddress realAddress,
      Router.Route route) {
    this(udp, source, dialed, host, realAddress, route, Inbound.TUN);
  }

  /** A flow captured through the TUN whose route is still to be chosen. */
  public Origin(
      boolean udp,
      InetSocketAddress source,
      InetSocketAddress dialed,
      String host,
      InetAddress realAddress) {
    this(udp, source, dialed, host, realAddress, null);
  }

  public int port() {
    return dialed.getPort();
  }

  /**
   * Whether {@code host} was read from the connection's first bytes ({@link Sniffer}): the one kind
   * of origin with both a name and the literal address it was dialed at.
   */
  public boolean sniffed() {
    return host != null && realAddress != null;
  }

  /** The destination as people read it: the name when there is one. */
  public String target() {
    return host != null ? host + ":" + port() : IpLiterals.format(dialed.getAddress(), port());
  }
}
