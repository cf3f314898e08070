package dev.turnout.natrewrite;

import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.Ipv6;
import dev.turnout.netbase.TimeSource;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NAT manager: maps each flow (protocol, source, destination) to a session address — an (IP,
 * port) pair from the NAT pool of the flow's family — and back. TCP and UDP have separate session
 * spaces: the reverse key includes the protocol, so a TCP and a UDP flow may share a pair without
 * colliding. IPv4 flows take IPv4 session addresses; IPv6 flows, when the table has an IPv6 pool
 * ({@link Builder#ipv6Pool}), IPv6 ones. Both families share one pair of maps, one set of caps and
 * one lifecycle; their keys never collide ({@link FlowKey}, {@link SessionKey}).
 *
 * <p>Allocation walks a cursor (one per family) over all (IP, port) pairs of the pool, skipping
 * pairs still in use, so a live mapping is never overwritten on wrap-around. When every pair is in
 * use the allocation fails, is counted, and the packet that wanted it is dropped.
 *
 * <p>Lifetime of a TCP flow to the relay: an entry created by a SYN stays UNCLAIMED until the relay
 * accepts the connection and calls {@link #claim}; it then lives as long as that socket. {@link
 * #release} starts a short grace for the final FIN/ACKs, after which {@link #expire} frees it.
 * Entries never claimed are freed by {@link #expire} after the unclaimed timeout. A SYN for a flow
 * whose entry is already claimed or in grace (the app reused its port) gets a fresh session
 * address.
 *
 * <p>Lifetime of a UDP flow, and of a TCP flow hijacked to the DNS listener: the entry is refreshed
 * by every packet in either direction and freed by {@link #expire} once idle for the UDP timeout
 * (the shorter DNS timeout when the original destination port is 53). At most {@code
 * maxIdleEntries} such entries exist; creating one more first evicts the least recently used
 * sixteenth of them (counted), so a flood of new flows costs one scan per batch, not per flow.
 *
 * <p>Lifetime of a TCP flow the kernel forwards to its real destination ({@link #createForwarded}):
 * no relay claims it; it is UNCLAIMED (under the same cap, for at most {@link
 * #DEFAULT_FORWARDED_ANSWER_TIMEOUT}, after which it is freed and its destination reported to
 * {@link ForwardedFlows#unanswered}) until the destination's SYN-ACK passes the TUN ({@link
 * #established}), then lives until a RST or both FINs pass ({@link #closing}), after which the
 * grace frees it. At most {@code maxForwarded} such flows are live; beyond that the caller hands
 * new flows to the relay. An established flow whose end never passes (a LAN host that vanished)
 * keeps its entry: the cap bounds them. {@link ForwardedFlows} hears of each such flow and of its
 * end, and may end it.
 *
 * <p>With a {@link FlowOffload} (the kernel fast path), each relay-owned TCP entry and each relayed
 * UDP entry is mirrored into it ({@link OffloadMirror}), both directions, when created, and
 * withdrawn when freed; the offload is only ever a subset of the table, so a packet it does not
 * rewrite comes to the TUN and is handled here the same way.
 *
 * <p>Thread-safety: all public methods are thread-safe. {@link #claim}, {@link #release} and {@link
 * #udpFlow} are meant for relay threads, {@link #expire} for the TUN loop or a scheduler. The
 * package-private lookup methods take a caller-owned probe key so that the per-packet path
 * allocates nothing; each reader thread must own its probes.
 *
 * <p>Longer than our usual file: allocation, the two families' pools and the lifecycle share one
 * lock and one pair of maps, so they stay together; the kernel mirror is {@link OffloadMirror}.
 */
public final class NatTable {
  private static final Logger log = LoggerFactory.getLogger(NatTable.class);

  public static final Duration DEFAULT_UNCLAIMED_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_GRACE = Duration.ofSeconds(5);
  public static final Duration DEFAULT_UDP_TIMEOUT = Duration.ofSeconds(60);
  public static final Duration DEFAULT_DNS_TIMEOUT = Duration.ofSeconds(10);
  public static final int DEFAULT_MAX_IDLE_ENTRIES = 65536;

  /** TCP entries the relay has not claimed yet; the relay's accept backlog is 4096. */
  public static final int DEFAULT_MAX_UNCLAIMED = 16384;

  /** Live TCP flows forwarded by the kernel; as many as the fast path holds by default. */
  public static final int DEFAULT_MAX_FORWARDED = 65536;

  /**
   * How long a forwarded flow waits for its destination's SYN-ACK before its entry is freed and the
   * destination reported unanswered ({@link ForwardedFlows#unanswered}): past the app's first SYN
   * retransmission (1 s), before its second (3 s), which then finds no entry and is judged again.
   */
  public static final Duration DEFAULT_FORWARDED_ANSWER_TIMEOUT = Duration.ofSeconds(2);

  private static final int DNS_PORT = 53;

  private final int poolFirst;
  private final int poolLast;
  private final int portFirst;
  private final int portCount;
  private final long capacity;
  private final long unclaimedTimeoutNanos;
  private final long forwardedAnswerNanos;
  private final long graceNanos;
  private final long udpTimeoutNanos;
  private final long dnsTimeoutNanos;
  private final int maxIdleEntries;
  private final int maxUnclaimed;
  private final int maxForwarded;
  private final int appPortFirst; // forwarded flows from app ports appPortFirst.. take
  private final int appPortCount; // session ports sessionPortFirst.., one for one
  private final int sessionPortFirst;
  private final TimeSource ticker;
  private final OffloadMirror offload;
  private final ForwardedFlows forwardedFlows;
  private final long pool6High; // the v6 pool: pool6Size addresses from (pool6High, pool6Low)
  private final long pool6Low;
  private final int pool6Size; // 0: no IPv6
  private final long capacity6;

  private final ConcurrentHashMap<FlowKey, NatEntry> forward = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<SessionKey, NatEntry> reverse = new ConcurrentHashMap<>();
  private final AtomicInteger idleEntries = new AtomicInteger();
  private final AtomicInteger unclaimedEntries = new AtomicInteger();
  private final AtomicInteger forwardedEntries = new AtomicInteger();

  /** Next pair index to try, per family; guarded by {@code this}. */
  private long cursor;

  private long cursor6;

  private final SessionKey allocationProbe = new SessionKey(); // guarded by this

  private final LongAdder created = new LongAdder();
  private final LongAdder claimed = new LongAdder();
  private final LongAdder released = new LongAdder();
  private final LongAdder expiredUnclaimed = new LongAdder();
  private final LongAdder freedAfterGrace = new LongAdder();
  private final LongAdder exhausted = new LongAdder();
  private final LongAdder forwardedTunUp = new LongAdder();
  private final LongAdder forwardedTunDown = new LongAdder();

  private final LongAdder idleCreated = new LongAdder();
  private final LongAdder idleExpired = new LongAdder();
  private final LongAdder idleEvicted = new LongAdder();
  private final LongAdder forwardedCreated = new LongAdder();

  /**
   * A table with the default UDP timeouts and idle-entry cap.
   *
   * @param poolFirst first session IPv4 address (inclusive), e.g. 198.19.0.1
   * @param poolLast last session IPv4 address (inclusive), e.g. 198.19.255.254
   * @param portFirst first session port (inclusive, 1..65535)
   * @param portLast last session port (inclusive)
   * @param unclaimedTimeout how long an entry the relay never claims is kept
   * @param grace how long a released entry is kept for the final FIN/ACKs
   * @param ticker time source for all timeouts
   */
  public NatTable(
      int poolFirst,
      int poolLast,
      int portFirst,
      int portLast,
      Duration unclaimedTimeout,
      Duration grace,
      TimeSource ticker) {
    this(
        builder(poolFirst, poolLast, portFirst, portLast)
            .unclaimedTimeout(unclaimedTimeout)
            .grace(grace)
            .timeSource(ticker));
  }

  /** A table with the default timeouts and the system ticker. */
  public NatTable(Ipv4Range pool, int portFirst, int portLast) {
    this(builder(pool.first(), pool.last(), portFirst, portLast));
  }

  private NatTable(Builder b) {
    if (Integer.compareUnsigned(b.poolFirst, b.poolLast) > 0) {
      throw new IllegalArgumentException("empty NAT pool");
    }
    if (b.portFirst < 1 || b.portLast > 65535 || b.portFirst > b.portLast) {
      throw new IllegalArgumentException("bad port range " + b.portFirst + ".." + b.portLast);
    }
    if (b.unclaimedTimeout.isNegative()
        || b.forwardedAnswerTimeout.isNegative()
        || b.grace.isNegative()
        || b.udpTimeout.isNegative()
        || b.dnsTimeout.isNegative()) {
      throw new IllegalArgumentException("negative timeout");
    }
    if (b.maxIdleEntries < 1 || b.maxUnclaimed < 1 || b.maxForwarded < 0) {
      throw new IllegalArgumentException("entry caps must be positive");
    }
    this.poolFirst = b.poolFirst;
    this.poolLast = b.poolLast;
    this.portFirst = b.portFirst;
    this.portCount = b.portLast - b.portFirst + 1;
    this.capacity = (Integer.toUnsignedLong(poolLast - poolFirst) + 1) * portCount;
    this.unclaimedTimeoutNanos = b.unclaimedTimeout.toNanos();
    this.forwardedAnswerNanos = Math.min(unclaimedTimeoutNanos, b.forwardedAnswerTimeout.toNanos());
    this.graceNanos = b.grace.toNanos();
    this.udpTimeoutNanos = b.udpTimeout.toNanos();
    this.dnsTimeoutNanos = b.dnsTimeout.toNanos();
    this.maxIdleEntries = b.maxIdleEntries;
    this.maxUnclaimed = b.maxUnclaimed;
    this.maxForwarded = b.maxForwarded;
    this.appPortFirst = b.appPortFirst < 0 ? portFirst : b.appPortFirst;
    this.appPortCount = b.appPortFirst < 0 ? portCount : b.appPortLast - b.appPortFirst + 1;
    this.sessionPortFirst = b.appPortFirst < 0 ? portFirst : b.sessionPortFirst;
    if (sessionPortFirst < portFirst || sessionPortFirst + appPortCount > portFirst + portCount) {
      throw new IllegalArgumentException("forwarded session ports outside the port range");
    }
    this.ticker = Objects.requireNonNull(b.ticker, "ticker");
    this.pool6Size = b.pool6Size;
    long tun6High = 0;
    long tun6Low = 0;
    if (pool6Size > 0) {
      this.pool6High = Ipv6.high(b.pool6First);
      this.pool6Low = Ipv6.low(b.pool6First);
      tun6High = Ipv6.high(b.tunAddress6);
      tun6Low = Ipv6.low(b.tunAddress6);
      if (Long.compareUnsigned(pool6Low, -1L - (pool6Size - 1)) > 0) {
        throw new IllegalArgumentException("the IPv6 NAT pool must lie within one /64");
      }
      if (inPool6(tun6High, tun6Low)) {
        throw new IllegalArgumentException("the IPv6 NAT pool contains the TUN address");
      }
    } else {
      this.pool6High = 0;
      this.pool6Low = 0;
    }
    this.capacity6 = (long) pool6Size * portCount;
    this.offload = new OffloadMirror(b.offload, b.tunAddress, tun6High, tun6Low);
    this.forwardedFlows = b.forwardedFlows;
  }

  /** A builder; every setting not given keeps its {@code DEFAULT_*} value. */
  public static Builder builder(int poolFirst, int poolLast, int portFirst, int portLast) {
    return new Builder(poolFirst, poolLast, portFirst, portLast);
  }

  /**
   * Called by the relay when it accepts a connection from {@code sessionPeer}. Returns the original
   * flow and marks the entry as owned by a live socket, or empty if no unclaimed TCP entry has that
   * session address (the relay should then close the socket).
   */
  public Optional<NatFlow> claim(InetSocketAddress sessionPeer) {
    NatEntry entry = entryOf(Ipv4Header.PROTOCOL_TCP, sessionPeer);
    if (entry == null || entry.forwardTo != 0 || !entry.claim()) {
      return Optional.empty();
    }
    unclaimedEntries.decrementAndGet();
    claimed.increment();
    return Optional.of(entry.toFlow());
  }

  /**
   * Called by the relay when the socket accepted from {@code sessionPeer} has closed. The entry is
   * freed after the grace period. Unknown or unclaimed addresses are ignored.
   */
  public void release(InetSocketAddress sessionPeer) {
    NatEntry entry = entryOf(Ipv4Header.PROTOCOL_TCP, sessionPeer);
    if (entry != null && entry.forwardTo == 0 && entry.release(ticker.nanoTime() + graceNanos)) {
      released.increment();
    }
  }

  /**
   * The original UDP flow behind a datagram the UDP relay received from {@code sessionPeer}, or
   * empty if no live UDP entry has that session address (the relay should drop the datagram). The
   * same flow is returned as an equal {@link NatFlow} for as long as the entry lives; a different
   * one means the session address was freed and reused, and the relay must not keep the old
   * session. Does not allocate once the entry's flow has been asked for.
   *
   * <p>Counts as a datagram of the flow for the idle timeout: the kernel fast path carries a
   * relayed flow's datagrams past the TUN, so the relay, which sees them all, calls this for each
   * one it receives (and now and then while it sends replies).
   */
  public Optional<NatFlow> udpFlow(InetSocketAddress sessionPeer) {
    NatEntry entry = entryOf(Ipv4Header.PROTOCOL_UDP, sessionPeer);
    if (entry == null || entry.state() != NatEntry.IDLE) {
      return Optional.empty();
    }
    entry.touch(ticker.nanoTime());
    return Optional.of(entry.toFlow());
  }

  /**
   * Frees entries whose unclaimed timeout, grace or idle timeout has passed. Call periodically (the
   * TUN loop does, about once a second); the cost is proportional to the number of entries.
   *
   * @return the number of entries freed
   */
  public int expire() {
    long now = ticker.nanoTime();
    int freed = 0;
    for (NatEntry entry : reverse.values()) {
      int state = entry.state();
      if (entry.expire(now)) {
        if (state == NatEntry.UNCLAIMED) {
          unclaimedEntries.decrementAndGet();
          if (entry.forwardTo != 0) {
            unanswered(entry.forwardTo, entry.targetPort);
          }
        }
        remove(entry);
        (state == NatEntry.IDLE
                ? idleExpired
                : state == NatEntry.UNCLAIMED ? expiredUnclaimed : freedAfterGrace)
            .increment();
        freed++;
      }
    }
    return freed;
  }

  /** Entries holding a session address: TCP unclaimed, claimed and in grace, and idle entries. */
  public int activeEntries() {
    return reverse.size();
  }

  /** True while the table holds its cap of TCP entries the relay has not claimed. */
  boolean tooManyPending() {
    return unclaimedEntries.get() >= maxUnclaimed;
  }

  /** TCP entries the relay has not claimed yet. */
  public int unclaimedEntries() {
    return unclaimedEntries.get();
  }

  /** UDP and hijacked-DNS entries currently held. */
  public int idleEntries() {
    return idleEntries.get();
  }

  /** Number of (IP, port) pairs in the IPv4 pool, per protocol. */
  public long capacity() {
    return capacity;
  }

  /** Number of (IP, port) pairs in the IPv6 pool, per protocol; 0 without one. */
  public long capacity6() {
    return capacity6;
  }

  boolean inPool(int address) {
    return Integer.compareUnsigned(address - poolFirst, poolLast - poolFirst) <= 0;
  }

  /** True if the IPv6 address is in the IPv6 pool (false without one). */
  boolean inPool6(long high, long low) {
    return high == pool6High && Long.compareUnsigned(low - pool6Low, pool6Size) < 0;
  }

  /** The index in the IPv6 pool of an address for which {@link #inPool6} holds. */
  int index6(long low) {
    return (int) (low - pool6Low);
  }

  boolean hasIpv6() {
    return pool6Size > 0;
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

  /** Notes a packet of an IDLE entry. */
  void touch(NatEntry entry) {
    entry.touch(ticker.nanoTime());
  }

  /**
   * Creates a relay-owned TCP entry for the flow described by {@code probe} (copied), delivered to
   * {@code targetPort}, replacing any forward mapping of that flow; the replaced entry keeps its
   * session address until it expires.
   *
   * @return the new entry, or null when the pool is exhausted
   */
  NatEntry create(FlowKey probe, int targetPort) {
    return create(probe, targetPort, FlowFilter.Judgement.UNDECIDED);
  }

  /**
   * {@link #create(FlowKey, int)} for a flow the filter judged. Null also when {@link
   * #tooManyPending()}.
   */
  synchronized NatEntry create(FlowKey probe, int targetPort, FlowFilter.Judgement judgement) {
    if (tooManyPending()) {
      return null;
    }
    SessionKey session = allocate(probe.protocol, probe.ipv6);
    if (session == null) {
      return null;
    }
    return addPending(probe, session, targetPort, 0, judgement);
  }

  /**
   * Makes an UNCLAIMED TCP entry for {@code probe} (copied), maps it both ways, counts it and
   * mirrors it into the offload.
   */
  private NatEntry addPending(
      FlowKey probe,
      SessionKey session,
      int targetPort,
      int forwardTo,
      FlowFilter.Judgement judgement) {
    NatEntry entry =
        new NatEntry(
            probe.copy(),
            session,
            session6High(session),
            session6Low(session),
            targetPort,
            forwardTo,
            0,
            ticker.nanoTime() + (forwardTo == 0 ? unclaimedTimeoutNanos : forwardedAnswerNanos),
            judgement);
    reverse.put(entry.session, entry);
    supersede(forward.put(entry.flow, entry), entry);
    unclaimedEntries.incrementAndGet();
    created.increment();
    offload.add(entry);
    return entry;
  }

  /**
   * Creates an UNCLAIMED TCP entry for an IPv4 flow the kernel forwards to {@code address} (same
   * port) instead of delivering it to the relay, like {@link #create}.
   *
   * @return the new entry, or null when the pool is exhausted, {@link #tooManyPending()} or {@link
   *     #tooManyForwarded()}
   */
  synchronized NatEntry createForwarded(
      FlowKey probe, int address, FlowFilter.Judgement judgement) {
    if (probe.ipv6 || address == 0) {
      throw new IllegalArgumentException("only IPv4 flows are forwarded, to a real address");
    }
    if (tooManyPending() || tooManyForwarded()) {
      return null;
    }
    SessionKey session = portPreserving(probe, address);
    if (session == null) {
      session = allocate(probe.protocol, false);
      if (session == null) {
        return null;
      }
    }
    forwardedEntries.incrementAndGet();
    forwardedCreated.increment();
    NatEntry entry = addPending(probe, session, probe.destinationPort, address, judgement);
    try {
      entry.listing =
          forwardedFlows.started(
              entry.toFlow(),
              () -> end(entry),
              () -> entry.crossedTun(true) + offload.forwardedBytes(entry, true),
              () -> entry.crossedTun(false) + offload.forwardedBytes(entry, false));
    } catch (RuntimeException e) {
      log.warn("Listing a forwarded flow failed", e);
    }
    return entry;
  }

  /**
   * Ends a forwarded flow now (closed from the controller): its segments cross the TUN again, where
   * each is answered with a RST toward the app, until the grace frees the entry. The server's next
   * segment (data, a retransmission) carries the sequence number the app expects, which makes the
   * RST acceptable to the app at once; a RST built from an app's segment acknowledges it exactly.
   */
  private void end(NatEntry entry) {
    entry.resetting = true;
    int left = entry.close(ticker.nanoTime() + graceNanos);
    if (left == NatEntry.UNCLAIMED) {
      unclaimedEntries.decrementAndGet();
    }
    if (left != -1) {
      released.increment();
    }
    offload.remove(entry, forward.get(entry.flow) == entry);
    unlist(entry);
  }

  /**
   * Tells {@link ForwardedFlows}, once, that a forwarded flow is over: when it closed, was closed,
   * or its entry was freed, whichever comes first.
   */
  private void unlist(NatEntry entry) {
    Object listing = entry.listing;
    entry.listing = null;
    if (listing != null) {
      try {
        forwardedFlows.ended(listing);
      } catch (RuntimeException e) {
        log.warn("Unlisting a forwarded flow failed", e);
      }
    }
  }

  /**
   * The session of a forwarded flow as a function of the flow: the app's own source port (shifted
   * as {@link Builder#forwardedPorts} says), at a pool address chosen by the app's address and the
   * destination. The host masquerades the session to its own address and, where it can, the same
   * port, so a server sees one client port per app port. That matters when apps reuse ports fast: a
   * server that closed first holds the old connection in TIME_WAIT and takes a new SYN on it only
   * if its timestamps are newer, which holds for the same app connection (the kernel's timestamp
   * offset is per pair of addresses) but not for another one NAT'ed onto that port. An earlier
   * entry of this very flow (the app reused its port) is retired for it; null when the port is
   * outside the app ports or another flow holds the session (the caller then allocates as for any
   * flow).
   */
  private SessionKey portPreserving(FlowKey probe, int forwardTo) {
    int port = probe.sourcePort - appPortFirst;
    if (port < 0 || port >= appPortCount) {
      return null;
    }
    port += sessionPortFirst;
    int mix = (probe.sourceAddress * 0x9E3779B1) ^ (probe.destinationAddress * 0x85EBCA77);
    mix ^= probe.destinationPort * 0xC2B2AE3D;
    mix ^= mix >>> 15;
    long pool = Integer.toUnsignedLong(poolLast - poolFirst) + 1;
    int address = poolFirst + (int) Long.remainderUnsigned(Integer.toUnsignedLong(mix), pool);
    SessionKey session = new SessionKey().set(probe.protocol, address, port);
    NatEntry earlier = reverse.get(session);
    if (earlier == null) {
      return session;
    }
    if (earlier.forwardTo == 0 || !earlier.flow.equals(probe)) {
      return null;
    }
    retire(earlier, earlier.forwardTo == forwardTo);
    return session;
  }

  private void unanswered(int address, int port) {
    try {
      forwardedFlows.unanswered(address, port);
    } catch (RuntimeException e) {
      log.warn("Reporting an unanswered destination failed", e);
    }
  }

  /**
   * Frees an entry whose flow and session a new entry takes over at once: the new entry's offload
   * mapping replaces the old one's, so the offload keeps both tuples when the new entry goes to the
   * same destination ({@code sameTarget}) and only the forward one otherwise.
   */
  private void retire(NatEntry entry, boolean sameTarget) {
    int state = entry.state();
    if (!entry.kill()) {
      return; // the sweeper got there first
    }
    if (state == NatEntry.UNCLAIMED) {
      unclaimedEntries.decrementAndGet();
    }
    forwardedEntries.decrementAndGet();
    forward.remove(entry.flow, entry);
    reverse.remove(entry.session, entry);
    if (!sameTarget) {
      offload.remove(entry, false);
    }
    unlist(entry);
  }

  /**
   * Hands {@code to} the forwarded flows' SYN-ACK, FIN and RST segments the kernel rewrote itself
   * since the last call ({@link FlowOffload#pollForwarded}); the TUN thread only.
   */
  int pollForwarded(FlowOffload.Segments to) {
    return offload.pollForwarded(to);
  }

  /** Counts a forwarded flow's TCP payload that crossed the TUN; the TUN thread only. */
  void crossedTun(NatEntry entry, boolean towardDestination, int bytes) {
    entry.crossedTun(towardDestination, bytes);
    (towardDestination ? forwardedTunUp : forwardedTunDown).add(bytes);
  }

  /**
   * TCP payload bytes of all forwarded flows since start, in one direction: toward their
   * destinations or toward the apps, wherever they passed (the TUN, the kernel's fast path). Costs
   * a system call with a fast path.
   */
  public long forwardedBytes(boolean towardDestination) {
    long[] kernel = offload.forwardedBytesTotal();
    return towardDestination
        ? forwardedTunUp.sum() + kernel[0]
        : forwardedTunDown.sum() + kernel[1];
  }

  /** True while the table holds its cap of live forwarded flows. */
  boolean tooManyForwarded() {
    return forwardedEntries.get() >= maxForwarded;
  }

  /** The destination's SYN-ACK of a forwarded flow passed: it no longer counts as pending. */
  void established(NatEntry entry) {
    if (entry.claim()) {
      unclaimedEntries.decrementAndGet();
      claimed.increment();
    }
  }

  /**
   * A FIN ({@code direction} {@link NatEntry#FIN_OUT} or {@link NatEntry#FIN_IN}) or, with {@code
   * reset}, a RST of a forwarded flow passed: after a RST or the second FIN the flow is over (and
   * no longer listed), and its entry is freed after the grace, which the last ACK needs.
   */
  void closing(NatEntry entry, int direction, boolean reset) {
    if (entry.fin(direction) || reset) {
      int left = entry.close(ticker.nanoTime() + graceNanos);
      if (left == NatEntry.UNCLAIMED) {
        unclaimedEntries.decrementAndGet();
      }
      if (left != -1) {
        released.increment();
        unlist(entry);
      }
    }
  }

  /**
   * Creates an IDLE entry (UDP, or TCP hijacked to the DNS listener) like {@link #create}, first
   * evicting the least recently used idle entries if the cap is reached.
   *
   * @return the new entry, or null when the pool is exhausted
   */
  NatEntry createIdle(FlowKey probe, int targetPort) {
    return createIdle(probe, targetPort, FlowFilter.Judgement.UNDECIDED);
  }

  /** {@link #createIdle(FlowKey, int)} for a flow the filter judged. */
  synchronized NatEntry createIdle(FlowKey probe, int targetPort, FlowFilter.Judgement judgement) {
    if (idleEntries.get() >= maxIdleEntries) {
      evictLeastRecentlyUsed();
    }
    SessionKey session = allocate(probe.protocol, probe.ipv6);
    if (session == null) {
      return null;
    }
    long idle = probe.destinationPort == DNS_PORT ? dnsTimeoutNanos : udpTimeoutNanos;
    NatEntry entry =
        new NatEntry(
            probe.copy(),
            session,
            session6High(session),
            session6Low(session),
            targetPort,
            0,
            idle,
            ticker.nanoTime(),
            judgement);
    reverse.put(entry.session, entry);
    supersede(forward.put(entry.flow, entry), entry);
    idleEntries.incrementAndGet();
    idleCreated.increment();
    offload.add(entry); // relayed UDP only: the relay's udpFlow then keeps it alive
    return entry;
  }

  /**
   * {@code entry} now holds the flow {@code previous} (if not null) held: a port reused while the
   * earlier entry lives on in its grace. Where the kernel mirrors the two differently (one relayed,
   * one forwarded), the earlier one's forward rewrite must go at once, or the kernel would go on
   * sending the flow's segments the earlier way (the relayed part is looked up first): to a relay
   * session that is gone, which answers with a RST.
   */
  private void supersede(NatEntry previous, NatEntry entry) {
    if (previous != null && previous != entry) {
      offload.supersede(previous, entry);
    }
  }

  /** Evicts the least recently used sixteenth of the idle entries (at least one). */
  private void evictLeastRecentlyUsed() {
    long[] seen = new long[idleEntries.get() + 16];
    int n = 0;
    for (NatEntry entry : reverse.values()) {
      if (entry.state() == NatEntry.IDLE && n < seen.length) {
        seen[n++] = entry.lastSeen();
      }
    }
    if (n == 0) {
      return;
    }
    // Nano readings are compared by difference; shift them to be relative to the newest.
    long newest = seen[0];
    for (int i = 1; i < n; i++) {
      if (seen[i] - newest > 0) {
        newest = seen[i];
      }
    }
    for (int i = 0; i < n; i++) {
      seen[i] = newest - seen[i]; // age, >= 0
    }
    Arrays.sort(seen, 0, n);
    int batch = Math.max(1, maxIdleEntries / 16);
    long minAge = seen[Math.max(0, n - batch)];
    int evicted = 0;
    for (NatEntry entry : reverse.values()) {
      if (evicted >= batch) {
        break;
      }
      if (entry.state() == NatEntry.IDLE && newest - entry.lastSeen() >= minAge && entry.evict()) {
        remove(entry);
        idleEvicted.increment();
        evicted++;
      }
    }
  }

  private void remove(NatEntry entry) {
    if (entry.forwardTo != 0) {
      forwardedEntries.decrementAndGet();
      unlist(entry);
    }
    boolean stillForward = forward.remove(entry.flow, entry);
    if (reverse.remove(entry.session, entry) && entry.idleNanos != 0) {
      idleEntries.decrementAndGet();
    }
    // Only after the table let go, so the kernel never holds a mapping the table no longer has;
    // the flow's tuple may already be mapped to a newer entry (a reused port), which stays.
    offload.remove(entry, stillForward);
  }

  private long session6High(SessionKey session) {
    return session.ipv6() ? pool6High : 0;
  }

  private long session6Low(SessionKey session) {
    return session.ipv6() ? pool6Low + Integer.toUnsignedLong(session.address()) : 0;
  }

  /**
   * A free session address of the family for {@code protocol}, or null (counted) when that pool is
   * exhausted (or, for IPv6, missing).
   */
  private SessionKey allocate(int protocol, boolean ipv6) {
    long pairs = ipv6 ? capacity6 : capacity;
    long attempts = Math.min(pairs, reverse.mappingCount() + 1);
    for (long i = 0; i < attempts; i++) {
      long pair = ipv6 ? cursor6 : cursor;
      long next = pair + 1 == pairs ? 0 : pair + 1;
      int address = (int) (pair / portCount);
      int port = portFirst + (int) (pair % portCount);
      if (ipv6) {
        cursor6 = next;
        if (!reverse.containsKey(allocationProbe.set6(protocol, address, port))) {
          return new SessionKey().set6(protocol, address, port);
        }
      } else {
        cursor = next;
        address += poolFirst;
        if (!reverse.containsKey(allocationProbe.set(protocol, address, port))) {
          return new SessionKey().set(protocol, address, port);
        }
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
    stats.idleEntriesCreated = idleCreated.sum();
    stats.idleEntriesExpired = idleExpired.sum();
    stats.idleEntriesEvicted = idleEvicted.sum();
    stats.forwardedFlows = forwardedCreated.sum();
  }

  private NatEntry entryOf(int protocol, InetSocketAddress peer) {
    if (peer == null || peer.getPort() < 1) {
      return null;
    }
    if (peer.getAddress() instanceof Inet4Address address) {
      return reverse.get(new SessionKey().set(protocol, Ipv4.toInt(address), peer.getPort()));
    }
    if (peer.getAddress() instanceof Inet6Address address) {
      long high = Ipv6.high(address);
      long low = Ipv6.low(address);
      if (inPool6(high, low)) {
        return reverse.get(new SessionKey().set6(protocol, index6(low), peer.getPort()));
      }
    }
    return null;
  }

  /** Settings of a {@link NatTable}; not thread-safe. */
  public static final class Builder {
    private final int poolFirst;
    private final int poolLast;
    private final int portFirst;
    private final int portLast;
    private Duration unclaimedTimeout = DEFAULT_UNCLAIMED_TIMEOUT;
    private Duration grace = DEFAULT_GRACE;
    private Duration udpTimeout = DEFAULT_UDP_TIMEOUT;
    private Duration dnsTimeout = DEFAULT_DNS_TIMEOUT;
    private int maxIdleEntries = DEFAULT_MAX_IDLE_ENTRIES;
    private int maxUnclaimed = DEFAULT_MAX_UNCLAIMED;
    private int maxForwarded = DEFAULT_MAX_FORWARDED;
    private Duration forwardedAnswerTimeout = DEFAULT_FORWARDED_ANSWER_TIMEOUT;
    private int appPortFirst = -1;
    private int appPortLast;
    private int sessionPortFirst;
    private TimeSource ticker = TimeSource.SYSTEM;
    private FlowOffload offload = FlowOffload.NONE;
    private ForwardedFlows forwardedFlows = ForwardedFlows.NONE;
    private int tunAddress;
    private Inet6Address pool6First;
    private int pool6Size;
    private Inet6Address tunAddress6;

    private Builder(int poolFirst, int poolLast, int portFirst, int portLast) {
      this.poolFirst = poolFirst;
      this.poolLast = poolLast;
      this.portFirst = portFirst;
      this.portLast = portLast;
    }

    /** How long a TCP entry the relay never claims is kept. */
    public Builder unclaimedTimeout(Duration timeout) {
      this.unclaimedTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /** How long a released TCP entry is kept for the final FIN/ACKs. */
    public Builder grace(Duration grace) {
      this.grace = Objects.requireNonNull(grace);
      return this;
    }

    /** Idle timeout of UDP entries (Clash {@code tun.udp-timeout}). */
    public Builder udpTimeout(Duration timeout) {
      this.udpTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /** Idle timeout of entries whose original destination port is 53 (UDP, or hijacked TCP). */
    public Builder dnsTimeout(Duration timeout) {
      this.dnsTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /** Cap on UDP and hijacked-DNS entries; beyond it the least recently used are evicted. */
    public Builder maxIdleEntries(int max) {
      this.maxIdleEntries = max;
      return this;
    }

    /** At most this many TCP entries the relay has not claimed; further SYNs are dropped. */
    public Builder maxUnclaimed(int max) {
      this.maxUnclaimed = max;
      return this;
    }

    /** At most this many live flows forwarded by the kernel; further ones go to the relay. */
    public Builder maxForwarded(int max) {
      this.maxForwarded = max;
      return this;
    }

    /**
     * How long a forwarded flow waits for its destination's answer ({@link
     * #DEFAULT_FORWARDED_ANSWER_TIMEOUT}); at most the unclaimed timeout.
     */
    public Builder forwardedAnswerTimeout(Duration timeout) {
      this.forwardedAnswerTimeout = Objects.requireNonNull(timeout);
      return this;
    }

    /**
     * A forwarded flow from app port {@code appFirst..appLast} takes session port {@code
     * sessionFirst + (port - appFirst)}, which must lie within the table's port range; one from
     * another port takes any free session. By default, the app's own port.
     */
    public Builder forwardedPorts(int appFirst, int appLast, int sessionFirst) {
      if (appFirst < 1 || appFirst > appLast || appLast > 65535) {
        throw new IllegalArgumentException("bad app port range " + appFirst + ".." + appLast);
      }
      this.appPortFirst = appFirst;
      this.appPortLast = appLast;
      this.sessionPortFirst = sessionFirst;
      return this;
    }

    /**
     * Hands each relay-owned TCP flow to {@code offload} once mapped, and takes it back when the
     * entry is freed; {@code tunAddress} is where the relay listens (the forward destination).
     * Relayed UDP flows go to its {@link FlowOffload#udp() UDP part}, forwarded TCP flows to its
     * {@link FlowOffload#forwarded() forwarded part}; hijacked DNS flows stay on the TUN.
     */
    public Builder offload(FlowOffload offload, Inet4Address tunAddress) {
      this.offload = Objects.requireNonNull(offload);
      this.tunAddress = Ipv4.toInt(tunAddress);
      return this;
    }

    /**
     * Serves IPv6 flows too, with {@code size} session addresses from {@code first} (within one
     * /64, not containing {@code tunAddress}); {@code tunAddress} is where the relay listens for
     * IPv6 flows (the forward destination, as for {@link #offload}).
     */
    public Builder ipv6Pool(Inet6Address first, int size, Inet6Address tunAddress) {
      if (size < 1) {
        throw new IllegalArgumentException("the IPv6 NAT pool needs at least one address");
      }
      this.pool6First = Objects.requireNonNull(first);
      this.pool6Size = size;
      this.tunAddress6 = Objects.requireNonNull(tunAddress);
      return this;
    }

    /** Tells {@code flows} of every flow the kernel forwards, and of its end. */
    public Builder forwardedFlows(ForwardedFlows flows) {
      this.forwardedFlows = Objects.requireNonNull(flows);
      return this;
    }

    public Builder timeSource(TimeSource ticker) {
      this.ticker = Objects.requireNonNull(ticker);
      return this;
    }

    public NatTable build() {
      return new NatTable(this);
    }
  }
}
