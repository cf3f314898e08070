package dev.turnout.fakedns;

import dev.turnout.netbase.LocalAddresses;
import dev.turnout.netbase.TimeSource;
import java.net.InetAddress;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may query the server, and how fast. Without {@code allowLan} only this host may ask (loopback
 * and the host's own interface addresses, which include the TUN address), so a server bound to a
 * LAN or wildcard address is not an open resolver. Remote sources (only with {@code allowLan}) are
 * limited per address over UDP by a token bucket, which stops the server from amplifying floods
 * with spoofed sources; TCP cannot be spoofed and is not limited. Local sources are never limited:
 * the kernel drops packets from outside that claim a local source address.
 *
 * <p>Per-source buckets live in {@link RateBuckets}: at most {@value #MAX_BUCKETS}, evicted one at
 * a time by frequency and idleness, so a spray of spoofed sources neither grows memory nor resets
 * the bucket of the source that really floods.
 *
 * <p>Thread-safe; the local address set is refreshed by {@link #refreshLocalAddresses()}, which the
 * server calls every few seconds.
 */
final class SourceGuard {
  private static final Logger log = LoggerFactory.getLogger(SourceGuard.class);
  static final int MAX_BUCKETS = 65_536;
  private static final long LOG_EVERY_NANOS = 60_000_000_000L;

  private final boolean allowLan;
  private final Predicate<InetAddress> trusted;
  private final RateBuckets<InetAddress> buckets; // null: no rate limit
  private final TimeSource ticker;
  private final LocalAddresses local = LocalAddresses.ofInterfaces();
  private final AtomicLong lastLog = new AtomicLong(Long.MIN_VALUE);
  final LongAdder refused = new LongAdder();
  final LongAdder rateLimited = new LongAdder();

  /** {@code perSecond} 0 turns rate limiting off; {@code trusted} sources count as this host. */
  SourceGuard(
      boolean allowLan,
      Predicate<InetAddress> trusted,
      int perSecond,
      int burst,
      TimeSource ticker) {
    this.allowLan = allowLan;
    this.trusted = trusted;
    this.buckets =
        perSecond == 0
            ? null
            : new RateBuckets<>(perSecond, Math.max(1, burst), MAX_BUCKETS, ticker);
    this.ticker = ticker;
  }

  void refreshLocalAddresses() {
    local.refresh();
  }

  /** Whether {@code source} may open a TCP connection. */
  boolean admitConnection(InetAddress source) {
    if (isLocal(source) || allowLan) {
      return true;
    }
    refused.increment();
    note("refused TCP DNS client {}: not this host (allow-lan is off)", source);
    return false;
  }

  /** Whether a datagram from {@code source} is answered. */
  boolean admitDatagram(InetAddress source) {
    if (isLocal(source)) {
      return true;
    }
    if (!allowLan) {
      refused.increment();
      note("refused DNS client {}: not this host (allow-lan is off)", source);
      return false;
    }
    if (buckets == null || buckets.take(source)) {
      return true;
    }
    rateLimited.increment();
    note("rate-limited DNS client {}: too many queries per second", source);
    return false;
  }

  /** Remote sources holding a bucket now; for tests. */
  long trackedSources() {
    return buckets == null ? 0 : buckets.keys();
  }

  private boolean isLocal(InetAddress source) {
    return local.contains(source) || trusted.test(source);
  }

  private void note(String message, InetAddress source) {
    long now = ticker.nanoTime();
    long last = lastLog.get();
    if ((last == Long.MIN_VALUE || now - last >= LOG_EVERY_NANOS)
        && lastLog.compareAndSet(last, now)) {
      log.warn(message + " (further ones this minute are only counted)", source);
    }
  }
}
