package dev.turnout.relay.tcp;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the relay listener, readable from any thread. */
public final class RelayStats {
  final LongAdder accepted = new LongAdder();
  final LongAdder notFromNat = new LongAdder();
  final LongAdder dialFailed = new LongAdder();
  final LongAdder spliced = new LongAdder();
  final LongAdder sniffed = new LongAdder();
  final LongAdder sniffedNames = new LongAdder();

  public long accepted() {
    return accepted.sum();
  }

  public long notFromNat() {
    return notFromNat.sum();
  }

  public long dialFailed() {
    return dialFailed.sum();
  }

  /** Connections whose first bytes were sniffed for a name. */
  public long sniffed() {
    return sniffed.sum();
  }

  /** Sniffed connections routed by the name they sent. */
  public long sniffedNames() {
    return sniffedNames.sum();
  }

  /** Connections handed to the splice relay. */
  public long spliced() {
    return spliced.sum();
  }
}
