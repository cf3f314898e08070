package dev.turnout.fakedns;

import dev.turnout.netbase.LogLimiter;
import dev.turnout.netbase.TimeSource;
import java.net.InetAddress;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How many <em>new</em> fake-IP mappings each DNS client may cause: a token bucket per client of
 * {@code burst} mappings refilled at {@code perSecond}. Without it one client asking for 65,534
 * made-up names cycles the whole pool within seconds and every other client's cached answers point
 * at other names. Names that already have a mapping are always answered. A client over its budget
 * gets SERVFAIL for new names (counted; logged at a limited rate). Clients are addresses: every
 * local user shares this host's budget, each LAN host has its own. Thread-safe.
 */
final class AllocationQuota {
  private static final Logger log = LoggerFactory.getLogger(AllocationQuota.class);
  static final int PER_SECOND = 50;
  static final int BURST = 2_000;
  static final int MAX_CLIENTS = 16_384;

  private final RateBuckets<InetAddress> buckets;
  private final double perSecond;
  private final int burst;
  private final LogLimiter overLog = new LogLimiter(0.1, 1);
  final LongAdder refused = new LongAdder();

  AllocationQuota(double perSecond, int burst, TimeSource ticker) {
    this.buckets = new RateBuckets<>(perSecond, burst, MAX_CLIENTS, ticker);
    this.perSecond = perSecond;
    this.burst = burst;
  }

  static AllocationQuota defaults() {
    return new AllocationQuota(PER_SECOND, BURST, TimeSource.SYSTEM);
  }

  /** Whether {@code client} may cause one more mapping now; counts and logs a refusal. */
  boolean allow(InetAddress client, String name) {
    if (buckets.take(client)) {
      return true;
    }
    refused.increment();
    if (overLog.allow()) {
      log.warn(
          "dns: client {} asks for new names faster than its fake-IP quota ({} a second, bursts"
              + " of {}); answering SERVFAIL for new names such as {} ({} refused in all)",
          client.getHostAddress(),
          perSecond,
          burst,
          name,
          refused.sum());
    }
    return false;
  }
}
