package dev.turnout.natrewrite;

import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The NAT manager: maps each TCP flow (protocol, source, destination) to a session address — an
 * (IPv4, port) pair from the NAT pool — and back.
 *
 * <p>Allocation walks a cursor over all (IP, port) pairs of the pool, skipping pairs still in use
 * (claimed, unclaimed, or in grace), so a live mapping is never overwritten on wrap-around. When
 * every pair is in use the allocation fails, is counted, and the packet that wanted it is dropped.
 *
 * <p>Lifetime: an entry created by a SYN stays UNCLAIMED until the relay accepts the connection and
 * calls {@link #claim}; it then lives as long as that socket. {@link #release} starts a short grace
 * for the final FIN/ACKs, after which {@link #expire} frees it. Entries never claimed are freed by
 * {@link #expire} after the unclaimed timeout. A SYN for a flow whose entry is already claimed or
 * in grace (the app reused its port) gets a fresh session address.
 *
 * <p>Thread-safety: all public methods are thread-safe. {@link #claim} and {@link #release} are
 * meant for relay threads, {@link #expire} for the TUN loop or a scheduler. The package-private
 * lookup methods take a caller-owned probe key so that the per-packet path allocates nothing; each
 * reader thread must own its probes.
 */
public final class NatTable {
  public static final Duration DEFAULT_UNCLAIMED_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);

  private final int poolFirst;
  private final int poolLast;
  private final int portFirst;
  private final int portCount;
  private final long capacity;
  private final long unclaimedTimeoutNanos;
  private final long graceNanos;
  private final Ticker ticker;

  private final ConcurrentHashMap<FlowKey, NatEntry> forward = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<SessionKey, NatEntry> reverse = new ConcurrentHashMap<>();

  /** Next pair index to try; guarded by {@code this}. */
  private long cursor;

  private final SessionKey allocationProbe = new SessionKey(); // guarded by this

  private final LongAdder created = new LongAdder();
  private final LongAdder claimed = new LongAdder();
  private final LongAdder released = new LongAdder();
  private final LongAdder expiredUnclaimed = new LongAdder();
  private final LongAdder freedAfterGrace = new LongAdder();
  private final LongAdder exhausted = new LongAdder();

  /**
   * @param poolFirst first session IPv4 address (inclusive), e.g. 198.19.0.1
   * @param poolLast last session IPv4 address (inclusive), e.g. 198.19.255.254
   * @param portFirst first session port (inclusive, 1..65535)
   * @param portLast last session port (inclusive)
   * @param unclaimedTimeout how long an entry the relay never claims is kept
   * @param grace how long a released entry is kept for the final FIN/ACKs
   * @param ticker time source for both timeouts
   */
  public NatTable(
      int poolFirst,
      int poolLast,
      int portFirst,
      int portLast,
      Duration unclaimedTimeout,
      Duration grace,
      Ticker ticker) {
    if (Integer.compareUnsigned(poolFirst, poolLast) > 0) {
      throw new IllegalArgumentException("empty NAT pool");
    }
    if (portFirst < 1 || portLast > 65535 || portFirst > portLast) {
      throw new IllegalArgumentException("bad port range " + portFirst + ".." + portLast);
    }
    if (unclaimedTimeout.isNegative() || grace.isNegative()) {
      throw new IllegalArgumentException("negative timeout");
    }
    this.poolFirst = poolFirst;
    this.poolLast = poolLast;
    this.portFirst = portFirst;
    this.portCount = portLast - portFirst + 1;
    this.capacity = (Integer.toUnsignedLong(poolLast - poolFirst) + 1) * portCount;
    this.unclaimedTimeoutNanos = unclaimedTimeout.toNanos();
    this.graceNanos = grace.toNanos();
    this.ticker = Objects.requireNonNull(ticker, "ticker");
  }

  /** A table with the default timeouts and the system ticker. */
  public NatTable(Ipv4Range pool, int portFirst, int portLast) {
    this(
        pool.first(),
        pool.last(),
        portFirst,
        portLast,
        DEFAULT_UNCLAIMED_TIMEOUT,
        DEFAULT_GRACE,
        Ticker.system());
  }

  /**
   * Called by the relay when it accepts a connection from {@code sessionPeer}. Returns the original
   * flow and marks the entry as owned by a live socket, or empty if no unclaimed entry has that
   * session address (the relay should then close the socket).
   */
  public Optional<NatFlow> claim(InetSocketAddress sessionPeer) {
    NatEntry entry = entryOf(sessionPeer);
    if (entry == null || !entry.claim()) {
      return Optional.empty();
    }
    claimed.increment();
    return Optional.of(entry.toFlow());
  }

  /**
   * Called by the relay when the socket accepted from {@code sessionPeer} has closed. The entry is
   * freed after the grace period. Unknown or unclaimed addresses are ignored.
   */
  public void release(InetSocketAddress sessionPeer) {
    NatEntry entry = entryOf(sessionPeer);
    if (entry != null && entry.release(ticker.read() + graceNanos)) {
      released.increment();
    }
  }

  /**
   * Frees entries whose unclaimed timeout or grace has passed. Call periodically (the TUN loop
   * does, about once a second); the cost is proportional to the number of entries.
   *
   * @return the number of entries freed
   */
  public int expire() {
    long now = ticker.read();
    int freed = 0;
    for (NatEntry entry : reverse.values()) {
      boolean wasUnclaimed = entry.state() == NatEntry.UNCLAIMED;
      if (entry.expire(now)) {
        forward.remove(entry.flow, entry);
        reverse.remove(entry.session, entry);
        (wasUnclaimed ? expiredUnclaimed : freedAfterGrace).increment();
        freed++;
      }
    }
    return freed;
  }

  /** Entries holding a session address: unclaimed, claimed, and in grace. */
  public int activeEntries() {
    return reverse.size();
  }

  /** Number of (IP, port) pairs in the pool. */
  public long capacity() {
    return capacity;
  }

  boolean inPool(int address) {
    return Integer.compareUnsigned(address - poolFirst, poolLast - poolFirst) <= 0;
  }

  int poolFirst() {
    return poolFirst;
  }

  int poolLast() {
    return poolLast;
  }

  /** Forward lookup with a caller-owned probe; may return a DEAD entry. */
  NatEntry lookup(FlowKey probe) {
    return forward.get(probe);
  }

  /** Reverse lookup with a caller-owned probe; may return a DEAD entry. */
  NatEntry lookupSession(SessionKey probe) {
    return reverse.get(probe);
  }

  /**
   * Creates an entry for the flow described by {@code probe} (copied), replacing any forward
   * mapping of that flow; the replaced entry keeps its session address until it expires.
   *
   * @return the new entry, or null when the pool is exhausted
   */
  synchronized NatEntry create(FlowKey probe) {
    long attempts = Math.min(capacity, reverse.mappingCount() + 1);
    for (long i = 0; i < attempts; i++) {
      long pair = cursor;
      cursor = pair + 1 == capacity ? 0 : pair + 1;
      int address = poolFirst + (int) (pair / portCount);
      int port = portFirst + (int) (pair % portCount);
      if (!reverse.containsKey(allocationProbe.set(address, port))) {
        NatEntry entry =
            new NatEntry(
                probe.copy(),
                new SessionKey().set(address, port),
                ticker.read() + unclaimedTimeoutNanos);
        reverse.put(entry.session, entry);
        forward.put(entry.flow, entry);
        created.increment();
        return entry;
      }
    }
    exhausted.increment();
    return null;
  }

  void addTo(NatStats.Builder stats) {
    stats.activeEntries = activeEntries();
    stats.entriesCreated = created.sum();
    stats.entriesClaimed = claimed.sum();
    stats.entriesReleased = released.sum();
    stats.entriesExpiredUnclaimed = expiredUnclaimed.sum();
    stats.entriesFreedAfterGrace = freedAfterGrace.sum();
    stats.allocationFailures = exhausted.sum();
  }

  private NatEntry entryOf(InetSocketAddress peer) {
    if (peer == null
        || !(peer.getAddress() instanceof Inet4Address address)
        || peer.getPort() < 1) {
      return null;
    }
    return reverse.get(new SessionKey().set(Ipv4Range.toInt(address), peer.getPort()));
  }
}
