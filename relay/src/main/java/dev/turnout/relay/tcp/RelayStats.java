package dev.turnout.relay.tcp;

import java.util.concurrent.atomic.LongAdder;

/** Counters of the relay listener, readable from any thread. */
public final class RelayStats {
  final LongAdder accepted = new LongAdder();
  final LongAdder notFromNat = new LongAdder();
  final LongAdder dialFailed = new LongAdder();
  final LongAdder spliced = new LongAdder();

  public long accepted() {
    return accepted.sum();
  }

  public long notFromNat() {
    return notFromNat.sum();
  }

  public long dialFailed() {
    return dialFailed.sum();
  }

  /** Connections handed to the splice relay. */
  public long spliced() {
    return spliced.sum();
  }
}
