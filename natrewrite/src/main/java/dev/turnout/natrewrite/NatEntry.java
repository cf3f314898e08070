package dev.turnout.natrewrite;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One NAT mapping: the original flow, its session address and the local port the flow is delivered
 * to (the relay's or the DNS listener's), plus a lifecycle state that relay threads (claim/release)
 * and the sweeper change with CAS so that an entry is never both claimed and freed.
 *
 * <p>A TCP flow to the relay is owned by the accepted socket:
 *
 * <pre>
 * UNCLAIMED --claim--> CLAIMED --release--> GRACE
 *     |                                       |
 *     +--unclaimed timeout--> DEAD <--grace over--+
 * </pre>
 *
 * UDP flows, and TCP flows hijacked to the DNS listener (which never claims), are IDLE entries:
 * every packet in either direction {@link #touch touches} them, and they become DEAD when untouched
 * for their idle timeout or when evicted to make room.
 *
 * <p>A TCP flow the kernel forwards to its real destination ({@link #forwardTo} not 0) goes through
 * the same states without a relay: UNCLAIMED until the destination's SYN-ACK passes, CLAIMED while
 * established, GRACE once a RST or both FINs have passed ({@link #close}).
 */
final class NatEntry {
  static final int UNCLAIMED = 0;
  static final int CLAIMED = 1;
  static final int GRACE = 2;
  static final int DEAD = 3;
  static final int IDLE = 4;

  private static final VarHandle STATE;
  private static final VarHandle FINS;
  private static final VarHandle TUN_UP;
  private static final VarHandle TUN_DOWN;

  static {
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup();
      STATE = lookup.findVarHandle(NatEntry.class, "state", int.class);
      FINS = lookup.findVarHandle(NatEntry.class, "fins", int.class);
      TUN_UP = lookup.findVarHandle(NatEntry.class, "tunUp", long.class);
      TUN_DOWN = lookup.findVarHandle(NatEntry.class, "tunDown", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final FlowKey flow;
  final SessionKey session;
  final int sessionAddress; // IPv4 only
  final long sessionHigh; // IPv6 only
  final long sessionLow; // IPv6 only
  final int sessionPort;

  /** The port on the TUN address that forward packets go to (relay or DNS listener). */
  final int targetPort;

  /** Idle timeout of an IDLE entry; 0 for relay-owned TCP entries. */
  final long idleNanos;

  /**
   * The real IPv4 destination (big-endian) a forwarded TCP flow goes to, at port {@link
   * #targetPort}; 0 for a flow delivered to a local listener.
   */
  final int forwardTo;

  /** What the flow filter decided on the first packet; handed to the relay with the flow. */
  final FlowFilter.Judgement judgement;

  private volatile int state;

  /** Nano reading after which an UNCLAIMED or GRACE entry may be freed; written before state. */
  private volatile long deadline;

  /** Last nano reading at which an IDLE entry carried a packet. */
  private volatile long lastSeen;

  /** Of a forwarded flow: {@link #FIN_OUT} and {@link #FIN_IN} once each direction's FIN passed. */
  private volatile int fins;

  static final int FIN_OUT = 1; // from the app
  static final int FIN_IN = 2; // from the destination

  private NatFlow cachedFlow; // racy single-check idiom: NatFlow is immutable

  // Of a forwarded flow: TCP payload bytes that crossed the TUN toward its destination and toward
  // the app (the kernel counts the rest). Written by the TUN thread only, with opaque stores, so
  // that other threads see a recent value.
  @SuppressWarnings("unused") // through TUN_UP
  private long tunUp;

  @SuppressWarnings("unused") // through TUN_DOWN
  private long tunDown;

  /** Of a forwarded flow: what {@link ForwardedFlows#started} returned for it. */
  volatile Object listing;

  /**
   * Of a forwarded flow closed by the controller: until the entry is freed, every segment of it is
   * answered with a RST toward the app.
   */
  volatile boolean resetting;

  /**
   * A TCP entry ({@code idleNanos} 0), UNCLAIMED until {@code time}, forwarded to {@code forwardTo}
   * (IPv4, at {@code targetPort}) or, with {@code forwardTo} 0, delivered to the local listener at
   * {@code targetPort}; or an IDLE entry, last seen at {@code time}, that lives while used within
   * {@code idleNanos}. {@code sessionHigh} and {@code sessionLow} are the IPv6 session address of
   * an IPv6 entry, 0 for IPv4.
   */
  NatEntry(
      FlowKey flow,
      SessionKey session,
      long sessionHigh,
      long sessionLow,
      int targetPort,
      int forwardTo,
      long idleNanos,
      long time,
      FlowFilter.Judgement judgement) {
    this.flow = flow;
    this.forwardTo = forwardTo;
    this.judgement = judgement;
    this.session = session;
    this.sessionAddress = session.ipv6() ? 0 : session.address();
    this.sessionHigh = sessionHigh;
    this.sessionLow = sessionLow;
    this.sessionPort = session.port();
    this.targetPort = targetPort;
    this.idleNanos = idleNanos;
    if (idleNanos == 0) {
      this.deadline = time;
      this.state = UNCLAIMED;
    } else {
      this.lastSeen = time;
      this.state = IDLE;
    }
  }

  int state() {
    return state;
  }

  long deadline() {
    return deadline;
  }

  long lastSeen() {
    return lastSeen;
  }

  /** Notes a packet of an IDLE entry. */
  void touch(long now) {
    if (lastSeen != now) {
      lastSeen = now;
    }
  }

  boolean claim() {
    return STATE.compareAndSet(this, UNCLAIMED, CLAIMED);
  }

  boolean release(long graceDeadline) {
    if (state != CLAIMED) {
      return false;
    }
    deadline = graceDeadline;
    return STATE.compareAndSet(this, CLAIMED, GRACE);
  }

  /**
   * Notes a FIN of a forwarded flow ({@link #FIN_OUT} or {@link #FIN_IN}); true once both
   * directions' FINs have passed.
   */
  boolean fin(int direction) {
    int before = (int) FINS.getAndBitwiseOr(this, direction);
    return (before | direction) == (FIN_OUT | FIN_IN);
  }

  /**
   * Ends a forwarded flow, established or not: into GRACE until {@code graceDeadline}. Returns the
   * state it left (UNCLAIMED or CLAIMED), or -1 if it was in neither (already closing or freed).
   */
  int close(long graceDeadline) {
    while (true) {
      int s = state;
      if (s != UNCLAIMED && s != CLAIMED) {
        return -1;
      }
      deadline = graceDeadline;
      if (STATE.compareAndSet(this, s, GRACE)) {
        return s;
      }
    }
  }

  /**
   * Frees the entry if it is unclaimed or in grace and its deadline has passed, or if it is IDLE
   * and has been idle for its timeout.
   */
  boolean expire(long now) {
    int s = state;
    if (s == IDLE) {
      return now - lastSeen >= idleNanos && STATE.compareAndSet(this, IDLE, DEAD);
    }
    return (s == UNCLAIMED || s == GRACE)
        && now - deadline >= 0
        && STATE.compareAndSet(this, s, DEAD);
  }

  /** Frees a TCP entry now, whatever its state (a forwarded flow's port reused); false if dead. */
  boolean kill() {
    while (true) {
      int s = state;
      if (s == DEAD) {
        return false;
      }
      if (STATE.compareAndSet(this, s, DEAD)) {
        return true;
      }
    }
  }

  /** Frees an IDLE entry now (eviction). */
  boolean evict() {
    return STATE.compareAndSet(this, IDLE, DEAD);
  }

  /** Counts a forwarded flow's payload that crossed the TUN; the TUN thread only. */
  void crossedTun(boolean towardDestination, int bytes) {
    VarHandle counter = towardDestination ? TUN_UP : TUN_DOWN;
    counter.setOpaque(this, (long) counter.getOpaque(this) + bytes);
  }

  /** A forwarded flow's payload that crossed the TUN in one direction so far; any thread. */
  long crossedTun(boolean towardDestination) {
    return (long) (towardDestination ? TUN_UP : TUN_DOWN).getOpaque(this);
  }

  NatFlow toFlow() {
    NatFlow result = cachedFlow;
    if (result == null) {
      result =
          new NatFlow(
              flow.sourceInetAddress(),
              flow.sourcePort,
              flow.destinationInetAddress(),
              flow.destinationPort,
              judgement);
      cachedFlow = result;
    }
    return result;
  }
}
