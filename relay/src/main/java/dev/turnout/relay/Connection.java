package dev.turnout.relay;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongSupplier;

/**
 * One live relayed flow (a TCP connection or a UDP session) as an operator sees it: where it came
 * from ({@link Origin}, {@link #inbound}), how it was routed, the chain of outbounds it went
 * through, and its byte counters. Listed and closed through {@link Connections}.
 *
 * <p>Counters are written by one thread at a time (the flow's event loop, or the splice thread it
 * was handed to, a hand-over that orders the writes) with opaque stores, so counting costs the data
 * path a plain add; any thread may read them, seeing a recent value. A flow whose bytes never pass
 * the relay (the kernel forwards them) reads its counts from where they are counted instead. Other
 * fields are immutable or volatile.
 */
public final class Connection {
  private static final VarHandle UP;
  private static final VarHandle DOWN;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      UP = lookup.findVarHandle(Connection.class, "up", long.class);
      DOWN = lookup.findVarHandle(Connection.class, "down", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /**
   * Where a flow entered Turnout: the TUN, or a local proxy listener. {@code type} is mihomo's name
   * for the protocol the client spoke ({@code Tun}, {@code HTTP}, {@code HTTPS} for HTTP CONNECT,
   * {@code Socks4}, {@code Socks5}); {@code name} the listener's ({@code tun}, {@code
   * DEFAULT-MIXED}, a {@code listeners:} entry's name); {@code port} the port the listener is bound
   * to (0 for the TUN); {@code user} the name the client authenticated with, or null.
   */
  private final String id;

  private final Origin origin;
  private final Inbound inbound;
  private final long startMillis;
  private final Router.Route route;
  private final List<String> chain;
  private final Connections registry;
  private final Runnable closer;
  private final LongSupplier countedUp; // of bytes counted elsewhere: upload, or null
  private final LongSupplier countedDown; // and download
  private long up;
  private long down;

  Connection(
      Connections registry,
      Origin origin,
      Inbound inbound,
      Router.Route route,
      List<String> chain,
      Runnable closer,
      LongSupplier countedUp,
      LongSupplier countedDown) {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    this.id = new UUID(random.nextLong(), random.nextLong()).toString();
    this.registry = registry;
    this.origin = origin;
    this.inbound = inbound;
    this.route = route;
    this.chain = List.copyOf(chain);
    this.closer = closer;
    this.countedUp = countedUp;
    this.countedDown = countedDown;
    this.startMillis = System.currentTimeMillis();
  }

  /** A random id, unique among live connections (a UUID's text form). */
  public String id() {
    return id;
  }

  public Origin origin() {
    return origin;
  }

  public Inbound inbound() {
    return inbound;
  }

  /** The route the flow took: policy, rule and where the rule is written. */
  public Router.Route route() {
    return route;
  }

  /**
   * The outbounds the flow went through when it was dialed, from the policy the rule named to the
   * one that carried it, e.g. {@code [Proxy, Auto, hk-1]}; {@code [DIRECT]} for DIRECT.
   */
  public List<String> chain() {
    return chain;
  }

  /** When the flow was routed, in milliseconds since the epoch. */
  public long startMillis() {
    return startMillis;
  }

  /** Bytes from the application toward the destination so far. */
  public long upload() {
    return countedUp != null ? countedUp.getAsLong() : (long) UP.getOpaque(this);
  }

  /** Bytes from the destination toward the application so far. */
  public long download() {
    return countedDown != null ? countedDown.getAsLong() : (long) DOWN.getOpaque(this);
  }

  /** Counts {@code bytes} more in one direction; called by the thread moving the flow's bytes. */
  public void transferred(boolean towardDestination, long bytes) {
    if (towardDestination) {
      UP.setOpaque(this, (long) UP.getOpaque(this) + bytes);
    } else {
      DOWN.setOpaque(this, (long) DOWN.getOpaque(this) + bytes);
    }
    registry.transferred(towardDestination, bytes);
  }

  /** Closes the flow at once, both directions (a TCP application sees a reset). Idempotent. */
  public void close() {
    closer.run();
  }

  /** The flow ended, however it ended; called once by its owner. */
  public void ended() {
    registry.ended(this);
  }

  @Override
  public String toString() {
    return (origin.udp() ? "udp " : "tcp ") + origin.target() + " via " + route.policy();
  }
}
