package dev.turnout.natrewrite;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One NAT mapping: the original flow and its session address, plus a lifecycle state that relay
 * threads (claim/release) and the sweeper change with CAS so that an entry is never both claimed
 * and freed.
 *
 * <pre>
 * UNCLAIMED --claim--> CLAIMED --release--> GRACE
 *     |                                       |
 *     +--unclaimed timeout--> DEAD <--grace over--+
 * </pre>
 */
final class NatEntry {
  static final int UNCLAIMED = 0;
  static final int CLAIMED = 1;
  static final int GRACE = 2;
  static final int DEAD = 3;

  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(NatEntry.class, "state", int.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  final FlowKey flow;
  final SessionKey session;
  final int sessionAddress;
  final int sessionPort;

  private volatile int state;

  /** Ticker reading after which an UNCLAIMED or GRACE entry may be freed; written before state. */
  private volatile long deadline;

  NatEntry(FlowKey flow, SessionKey session, long deadline) {
    this.flow = flow;
    this.session = session;
    this.sessionAddress = session.address();
    this.sessionPort = session.port();
    this.deadline = deadline;
    this.state = UNCLAIMED;
  }

  int state() {
    return state;
  }

  long deadline() {
    return deadline;
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

  /** Frees the entry if it is unclaimed or in grace and its deadline has passed. */
  boolean expire(long now) {
    int s = state;
    return (s == UNCLAIMED || s == GRACE)
        && now - deadline >= 0
        && STATE.compareAndSet(this, s, DEAD);
  }

  NatFlow toFlow() {
    return new NatFlow(
        Ipv4Range.toAddress(flow.sourceAddress),
        flow.sourcePort,
        Ipv4Range.toAddress(flow.destinationAddress),
        flow.destinationPort);
  }
}
