package dev.turnout.fakedns;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.turnout.netbase.TimeSource;
import java.time.Duration;

/**
 * A token bucket per key (a DNS client), for at most {@code maxKeys} keys at a time: a bounded
 * Caffeine cache. Its size eviction is frequency-aware (W-TinyLFU), so a spray of one-off keys
 * (spoofed sources) does not push out the bucket of a key that keeps coming back, the real
 * flooder's; and each bucket expires once it has been idle long enough to have refilled, so that
 * forgetting it changes nothing. Eviction is amortized over calls and O(1), never a sweep.
 * Thread-safe.
 */
final class RateBuckets<K> {
  private final double perNano;
  private final double burst;
  private final TimeSource ticker;
  private final Cache<K, Bucket> buckets;

  RateBuckets(double perSecond, double burst, long maxKeys, TimeSource ticker) {
    if (perSecond <= 0 || burst < 1 || maxKeys < 1) {
      throw new IllegalArgumentException("rate, burst and keys must be positive");
    }
    this.perNano = perSecond / 1e9;
    this.burst = burst;
    this.ticker = ticker;
    long refillNanos = (long) Math.ceil(burst / perNano);
    this.buckets =
        Caffeine.newBuilder()
            .maximumSize(maxKeys)
            .expireAfterAccess(Duration.ofNanos(Math.max(1_000_000_000L, refillNanos)))
            .ticker(ticker::nanoTime)
            .executor(Runnable::run) // maintenance is O(1) per call: no pool thread needed
            .build();
  }

  /** Takes one token from {@code key}'s bucket; false (nothing taken) if it is empty. */
  boolean take(K key) {
    long now = ticker.nanoTime();
    return buckets.get(key, k -> new Bucket(burst, now)).take(now, perNano, burst);
  }

  /** Keys with a bucket now (after pending maintenance); for tests. */
  long keys() {
    buckets.cleanUp();
    return buckets.estimatedSize();
  }

  private static final class Bucket {
    private double tokens;
    private long updated;

    Bucket(double tokens, long now) {
      this.tokens = tokens;
      this.updated = now;
    }

    synchronized boolean take(long now, double perNano, double burst) {
      tokens = Math.min(burst, tokens + Math.max(0, now - updated) * perNano);
      updated = now;
      if (tokens >= 1) {
        tokens -= 1;
        return true;
      }
      return false;
    }
  }
}
