package dev.turnout.relay;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.LogLimiter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one line logged per routed flow, on the {@code turnout.connection} logger, e.g. {@code tcp
 * 198.18.0.1:40001 -> www.example.com:443 (198.18.3.7) rule DOMAIN-SUFFIX,example.com
 * [config.yaml:42] via Proxy}; a flow decided on its first packet ends with {@code (first packet)},
 * one the kernel forwards past the relay with where to. The parenthesis holds the address the
 * application dialed for a captured flow, the listener and the protocol for a local proxy client
 * ({@code (DEFAULT-MIXED Socks5)}).
 */
public final class ConnectionLog {
  /** The logger of per-connection lines; users raise or lower it on its own. */
  public static final Logger CONNECTIONS = LoggerFactory.getLogger("turnout.connection");

  // Failures can come per connection by the thousand (a proxy down, a flood): rate-limited.
  private static final LogLimiter PROBLEMS = new LogLimiter(20, 100);

  private ConnectionLog() {}

  /** A warning about one flow, at most about 20 a second; the rest are counted and summed up. */
  public static void problem(String format, Object... arguments) {
    if (!PROBLEMS.allow()) {
      return;
    }
    long suppressed = PROBLEMS.takeSuppressed();
    if (suppressed > 0) {
      CONNECTIONS.warn("({} similar lines not logged)", suppressed);
    }
    CONNECTIONS.warn(format, arguments);
  }

  /** Logs the route chosen for {@code origin}. */
  public static void routed(Origin origin, Router.Route route, boolean firstPacket) {
    line(origin, route, firstPacket ? " (first packet)" : "");
  }

  /**
   * Logs a flow decided on its first packet that the kernel forwards to {@code address} (IPv4,
   * big-endian) itself, past the relay.
   */
  public static void forwarded(Origin origin, Router.Route route, int address) {
    if (CONNECTIONS.isInfoEnabled()) {
      line(
          origin,
          route,
          " (first packet, forwarded by the kernel to " + Ipv4.format(address) + ")");
    }
  }

  private static void line(Origin origin, Router.Route route, String note) {
    if (!CONNECTIONS.isInfoEnabled()) {
      return;
    }
    CONNECTIONS.info(
        "{} {} -> {} ({}) rule {} [{}] via {}{}",
        origin.udp() ? "udp" : "tcp",
        IpLiterals.format(origin.source().getAddress(), origin.source().getPort()),
        origin.target(),
        via(origin),
        route.rule(),
        route.source(),
        route.policy(),
        note);
  }

  private static String via(Origin origin) {
    Inbound inbound = origin.inbound();
    if (inbound.equals(Inbound.TUN)) {
      return IpLiterals.format(origin.dialed().getAddress());
    }
    return inbound.name() + " " + inbound.type();
  }
}
