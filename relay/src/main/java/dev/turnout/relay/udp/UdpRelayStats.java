package dev.turnout.relay.udp;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the UDP relay, readable from any thread. */
public final class UdpRelayStats {
  final LongAdder sessionsOpened = new LongAdder();
  final LongAdder sessionsExpired = new LongAdder();
  final LongAdder sessionsEvicted = new LongAdder();
  final LongAdder openFailed = new LongAdder();
  final LongAdder notFromNat = new LongAdder();
  final LongAdder noOrigin = new LongAdder();
  final LongAdder datagramsUp = new LongAdder();
  final LongAdder datagramsDown = new LongAdder();
  final LongAdder dropped = new LongAdder();
  final LongAdder failed = new LongAdder();
  final LongAdder sniffed = new LongAdder();
  final LongAdder sniffedNames = new LongAdder();

  public long sessionsOpened() {
    return sessionsOpened.sum();
  }

  public long sessionsExpired() {
    return sessionsExpired.sum();
  }

  public long sessionsEvicted() {
    return sessionsEvicted.sum();
  }

  public long openFailed() {
    return openFailed.sum();
  }

  /** Datagrams whose sender is not a live NAT session. */
  public long notFromNat() {
    return notFromNat.sum();
  }

  /** New sessions whose flow could not be served (e.g. a fake IP without a name). */
  public long noOrigin() {
    return noOrigin.sum();
  }

  public long datagramsUp() {
    return datagramsUp.sum();
  }

  public long datagramsDown() {
    return datagramsDown.sum();
  }

  /**
   * Datagrams dropped: queue full while opening, no UDP outbound for the policy, closed, or replies
   * while the listener could send no more.
   */
  public long dropped() {
    return dropped.sum();
  }

  /** Datagrams lost to an unexpected error (counted and logged, never fatal to the listener). */
  public long failed() {
    return failed.sum();
  }

  /** Sessions held for sniffing (QUIC). */
  public long sniffed() {
    return sniffed.sum();
  }

  /** Sessions whose sniffing found a name they were then routed by. */
  public long sniffedNames() {
    return sniffedNames.sum();
  }
}
