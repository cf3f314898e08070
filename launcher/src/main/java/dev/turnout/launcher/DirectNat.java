package dev.turnout.launcher;

import dev.turnout.launcher.config.TurnoutConfig;
import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.relay.Router;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which DIRECT flows the kernel forwards itself ({@code tun.direct-nat}): where a new TCP flow over
 * IPv4 that the rules send to the built-in DIRECT goes, when that is known on its first packet. It
 * is then NAT'ed straight to that address and masqueraded by the host, and never costs the relay a
 * socket; every other flow is relayed as before. Known means: the address the app dialed, if it is
 * not a fake one; else an IPv4 address the resolver already holds for the name (the relay's own
 * DIRECT dials fill it, so a name's first connection is relayed and later ones are forwarded), or,
 * while the resolver refreshes an answer whose TTL ran out, the one it held last, for up to {@value
 * #STALE_SECONDS} s (serve-stale, RFC 8767). Otherwise a name's flows would go to the relay, at
 * four times the cost, for as long as each refresh takes. Never this host's own addresses or
 * Turnout's ranges (the relay applies the rules' permits for those), and nothing until the host is
 * set up for it, nor to an address that lately left a forwarded SYN unanswered ({@link
 * ForwardingState}). One per {@link Generation}: its resolver and settings. Thread-safe; never
 * blocks.
 */
final class DirectNat {
  private static final Logger log = LoggerFactory.getLogger(DirectNat.class);

  static final int STALE_SECONDS = 60;
  private static final int MAX_REMEMBERED = 4096;

  /** Forwards nothing. */
  static final DirectNat OFF =
      new DirectNat(new ForwardingState(), HostResolver.NONE, a -> true, TimeSource.SYSTEM);

  private final ForwardingState host;
  private final HostResolver resolver;
  private final Predicate<InetAddress> refused;
  private final TimeSource clock;
  // name -> last address seen (IPv4 as an int) and when, in seconds; cleared whole when full
  private final ConcurrentHashMap<String, Long> remembered = new ConcurrentHashMap<>();

  /**
   * @param host ready once the host forwards and masquerades the TUN's NAT pool; the destinations
   *     that lately left a forwarded SYN unanswered are relayed
   * @param resolver DIRECT's resolver; a name it does not hold yet is relayed (the asynchronous
   *     lookup this starts is the one the relay's dial then waits for)
   * @param refused addresses DIRECT may not be forwarded to (this host's, Turnout's own)
   */
  DirectNat(
      ForwardingState host,
      HostResolver resolver,
      Predicate<InetAddress> refused,
      TimeSource clock) {
    this.host = host;
    this.resolver = resolver;
    this.refused = refused;
    this.clock = clock;
  }

  /**
   * Whether {@code config} asks for {@code tun.direct-nat} where it can hold: not where a forwarded
   * packet would not go where DIRECT's sockets go (bound to {@code interface-name}, or carrying a
   * {@code routing-mark} outside auto-route; within it the mark only keeps Turnout's own sockets
   * out of the TUN, and the TUN's own rule routes forwarded packets the same way). On unless
   * written {@code false}; says why not only when written {@code true} ({@link #asked}).
   */
  static boolean wanted(TurnoutConfig config) {
    TurnoutConfig.Tun tun = config.tun();
    if (!tun.enable() || Boolean.FALSE.equals(tun.directNat())) {
      return false;
    }
    if (config.proxies().interfaceName() != null || (!tun.autoRoute() && tun.routingMark() != 0)) {
      if (asked(config)) {
        log.warn(
            "tun.direct-nat: off while interface-name or routing-mark is set; DIRECT flows are"
                + " relayed, so that they leave as those settings say");
      }
      return false;
    }
    return true;
  }

  /**
   * Whether the configuration writes {@code tun.direct-nat: true}: then what keeps it off is a
   * warning, where for the default it is only said at info level.
   */
  static boolean asked(TurnoutConfig config) {
    return Boolean.TRUE.equals(config.tun().directNat());
  }

  /**
   * The IPv4 address (big-endian) a flow goes to if the kernel may forward it, else 0.
   *
   * @param tcp whether the flow is TCP
   * @param route the route the rules chose
   * @param name the name a fake destination stands for, or null for a real destination
   * @param destination the address the app dialed
   * @param port the port it dialed
   */
  int target(boolean tcp, Router.Route route, String name, InetAddress destination, int port) {
    if (!tcp
        || !(destination instanceof Inet4Address)
        || !host.isReady()
        || !(route.outbound() instanceof DirectOutbound direct && direct.kernelMayForward())) {
      return 0;
    }
    InetAddress address = name == null ? destination : known(name);
    if (!(address instanceof Inet4Address) || refused.test(address)) {
      return 0;
    }
    int target = Ipv4.toInt(address);
    return host.mayForwardTo(target, port) ? target : 0;
  }

  /**
   * The first IPv4 address the resolver holds for {@code host} now, else the one it held last if
   * that was within {@value #STALE_SECONDS} s; null if neither. A lookup under way is remembered
   * when it ends, for the name's next flows.
   */
  private InetAddress known(String host) {
    CompletableFuture<List<InetAddress>> answer = resolver.resolve(host).toCompletableFuture();
    if (!answer.isDone()) {
      answer.thenAccept(addresses -> remember(host, addresses));
      Long last = remembered.get(host);
      long now = clock.nanoTime() / 1_000_000_000L;
      return last == null || now - (last >>> 32) > STALE_SECONDS
          ? null
          : Ipv4.address((int) (long) last);
    }
    return answer.isCompletedExceptionally() ? null : remember(host, answer.getNow(List.of()));
  }

  /** Remembers and returns the first IPv4 address of {@code addresses}, if there is one. */
  private InetAddress remember(String host, List<InetAddress> addresses) {
    for (InetAddress address : addresses) {
      if (address instanceof Inet4Address) {
        long now = clock.nanoTime() / 1_000_000_000L;
        long entry = now << 32 | Integer.toUnsignedLong(Ipv4.toInt(address));
        Long last = remembered.get(host);
        if (last == null || last != entry) { // at most one write per name and second
          if (remembered.size() >= MAX_REMEMBERED) {
            remembered.clear();
          }
          remembered.put(host, entry);
        }
        return address;
      }
    }
    return null;
  }
}
