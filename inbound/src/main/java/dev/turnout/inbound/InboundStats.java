package dev.turnout.inbound;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counters of the local proxy listeners, and the one place that logs what clients did wrong: the
 * first time of each kind at once, then at most once every {@link #LOG_INTERVAL_NANOS} with the
 * count since, so a misbehaving client can neither flood the log nor stay unseen. Thread-safe.
 */
public final class InboundStats {
  private static final Logger log = LoggerFactory.getLogger("turnout.inbound");
  static final long LOG_INTERVAL_NANOS = 10_000_000_000L;

  /** What is counted. */
  public enum Event {
    /** A connection accepted and served. */
    ACCEPTED,
    /** A client outside {@code lan-allowed-ips} or inside {@code lan-disallowed-ips}. */
    REFUSED_CLIENT,
    /** Wrong or missing credentials. */
    AUTH_FAILED,
    /** Bytes that are not the protocol: answered with an error where the protocol has one. */
    MALFORMED,
    /** A handshake that did not finish in time. */
    HANDSHAKE_TIMEOUT,
    /** A request the listener does not serve (SOCKS BIND, UDP on a listener without udp). */
    UNSUPPORTED,
    /** A connection made to a redir or tproxy listener itself, not turned to it by a rule. */
    NOT_REDIRECTED,
    /** A destination that is a fake IP no name maps to any more. */
    UNKNOWN_FAKE_IP,
    /** A SOCKS5 UDP ASSOCIATE granted. */
    UDP_ASSOCIATED,
    /** A datagram from an address with no association, or refused by the client filter. */
    UDP_NOT_ASSOCIATED,
    /** A SOCKS5 UDP datagram with FRAG set: fragments are not reassembled. */
    UDP_FRAGMENT,
    /** A SOCKS5 UDP datagram whose header is malformed. */
    UDP_MALFORMED,
    /** A datagram dropped because a limit was reached (sessions, queue) or its route failed. */
    UDP_DROPPED
  }

  private final Map<Event, LongAdder> counts = new EnumMap<>(Event.class);
  private final Map<Event, AtomicLong> lastLogged = new EnumMap<>(Event.class);
  private final Map<Event, LongAdder> unlogged = new EnumMap<>(Event.class);

  public InboundStats() {
    for (Event event : Event.values()) {
      counts.put(event, new LongAdder());
      lastLogged.put(event, new AtomicLong(System.nanoTime() - 2 * LOG_INTERVAL_NANOS));
      unlogged.put(event, new LongAdder());
    }
  }

  public long count(Event event) {
    return counts.get(event).sum();
  }

  /** Counts one {@code event}. */
  public void count(Event event, long delta) {
    counts.get(event).add(delta);
  }

  /**
   * Counts one {@code event} and logs it, rate-limited per kind: {@code what} is formatted with
   * {@code args} as SLF4J does.
   */
  public void bad(Event event, String what, Object... args) {
    counts.get(event).increment();
    AtomicLong last = lastLogged.get(event);
    long now = System.nanoTime();
    long then = last.get();
    if (now - then < LOG_INTERVAL_NANOS || !last.compareAndSet(then, now)) {
      unlogged.get(event).increment();
      return;
    }
    long suppressed = unlogged.get(event).sumThenReset();
    if (log.isWarnEnabled()) {
      String line = org.slf4j.helpers.MessageFormatter.arrayFormat(what, args).getMessage();
      log.warn(
          "{}{}",
          line,
          suppressed == 0 ? "" : " (and " + suppressed + " more like it since the last report)");
    }
  }

  @Override
  public String toString() {
    StringBuilder out = new StringBuilder();
    for (Event event : Event.values()) {
      long n = count(event);
      if (n > 0) {
        out.append(out.length() == 0 ? "" : ", ")
            .append(event.name().toLowerCase(java.util.Locale.ROOT))
            .append(' ')
            .append(n);
      }
    }
    return out.length() == 0 ? "nothing" : out.toString();
  }
}
