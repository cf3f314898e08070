package dev.turnout.natrewrite;

import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Packet counters of one rewriter, with a log line the first time each drop reason occurs. */
final class Counters {
  private static final Logger log = LoggerFactory.getLogger(PacketRewriter.class);
  private static final DropReason[] REASONS = DropReason.values();

  final LongAdder packetsIn = new LongAdder();
  final LongAdder forwarded = new LongAdder();
  final LongAdder replied = new LongAdder();
  final LongAdder hijacked = new LongAdder();
  final LongAdder rejected = new LongAdder();
  final LongAdder echoReplies = new LongAdder();
  private final LongAdder[] dropped = new LongAdder[REASONS.length];
  private final AtomicIntegerArray logged = new AtomicIntegerArray(REASONS.length);

  Counters() {
    for (int i = 0; i < dropped.length; i++) {
      dropped[i] = new LongAdder();
    }
  }

  /** Counts a drop; logs the first one of each reason. Returns {@link Verdict#DROP}. */
  Verdict drop(DropReason reason, String detail) {
    dropped[reason.ordinal()].increment();
    if (logged.get(reason.ordinal()) == 0 && logged.compareAndSet(reason.ordinal(), 0, 1)) {
      String message = "Dropping packet ({}): {}; further drops for this reason are only counted";
      if (reason.warn) {
        log.warn(message, reason, detail);
      } else {
        log.info(message, reason, detail);
      }
    }
    return Verdict.DROP;
  }

  void addTo(NatStats.Builder stats) {
    stats.packetsIn = packetsIn.sum();
    stats.forwarded = forwarded.sum();
    stats.replied = replied.sum();
    stats.hijackedFlows = hijacked.sum();
    stats.rejectedFlows = rejected.sum();
    stats.icmpEchoReplies = echoReplies.sum();
    for (DropReason reason : REASONS) {
      stats.dropped.put(reason, dropped[reason.ordinal()].sum());
    }
  }
}
