package dev.turnout.fakedns;

import dev.turnout.netbase.TimeSource;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
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
 * <p>Thread-safe; the local address set is refreshed by {@link #refreshLocalAddresses()}, which the
 * server calls every few seconds.
 */
final class SourceGuard {
  private static final Logger log = LoggerFactory.getLogger(SourceGuard.class);
  private static final int MAX_BUCKETS = 65_536;
  private static final long LOG_EVERY_NANOS = 60_000_000_000L;

  private final boolean allowLan;
  private final Predicate<InetAddress> trusted;
  private final double ratePerNano;
  private final double burst;
  private final TimeSource ticker;
  private volatile Set<InetAddress> local = Set.of();
  private final Map<InetAddress, Bucket> buckets = new ConcurrentHashMap<>();
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
    this.ratePerNano = perSecond / 1e9;
    this.burst = Math.max(1, burst);
    this.ticker = ticker;
    refreshLocalAddresses();
  }

  void refreshLocalAddresses() {
    Set<InetAddress> found = new HashSet<>();
    try {
      for (NetworkInterface nic : Collections.list(NetworkInterface.getNetworkInterfaces())) {
        found.addAll(Collections.list(nic.getInetAddresses()));
      }
    } catch (SocketException e) {
      log.debug("cannot list interface addresses: {}", e.toString());
      return;
    }
    local = Set.copyOf(found);
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
    if (ratePerNano == 0) {
      return true;
    }
    if (buckets.size() > MAX_BUCKETS) {
      buckets.clear(); // a spray of sources: start over rather than grow without bound
    }
    Bucket bucket = buckets.computeIfAbsent(source, a -> new Bucket(burst, ticker.nanoTime()));
    if (bucket.take(ticker.nanoTime(), ratePerNano, burst)) {
      return true;
    }
    rateLimited.increment();
    note("rate-limited DNS client {}: too many queries per second", source);
    return false;
  }

  private boolean isLocal(InetAddress source) {
    return source.isLoopbackAddress() || local.contains(source) || trusted.test(source);
  }

  private void note(String message, InetAddress source) {
    long now = ticker.nanoTime();
    long last = lastLog.get();
    if ((last == Long.MIN_VALUE || now - last >= LOG_EVERY_NANOS)
        && lastLog.compareAndSet(last, now)) {
      log.warn(message + " (further ones this minute are only counted)", source);
    }
  }

  private static final class Bucket {
    private double tokens;
    private long updated;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updated = now;
    }

    synchronized boolean take(long now, double perNano, double burst) {
      tokens = Math.min(burst, tokens + (now - updated) * perNano);
      updated = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }
}
