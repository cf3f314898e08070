package dev.turnout.natrewrite;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of the rewriter's and the NAT table's counters, for logs and the controller API.
 * Counters are read one by one, so a snapshot taken under load is only approximately consistent.
 *
 * @param packetsIn packets handed to the rewriter
 * @param forwarded packets rewritten and written back
 * @param replied replies generated (RSTs for segments without a NAT entry)
 * @param dropped drops by reason (every reason present, zero included)
 * @param activeEntries NAT entries holding a session address
 * @param entriesCreated NAT entries created by SYNs
 * @param entriesClaimed entries claimed by the relay
 * @param entriesReleased entries released by the relay
 * @param entriesExpiredUnclaimed entries freed because the relay never claimed them
 * @param entriesFreedAfterGrace entries freed after their grace
 * @param allocationFailures new flows that found the pool exhausted
 * @param idleEntriesCreated UDP and hijacked-DNS entries created
 * @param idleEntriesExpired idle entries freed after their idle timeout
 * @param idleEntriesEvicted idle entries evicted, least recently used first, to respect the cap
 * @param hijackedFlows new flows to port 53 sent to the DNS listener instead of the relay
 * @param rejectedFlows new flows the {@link FlowFilter} rejected or dropped
 * @param icmpEchoReplies ICMP echo requests answered locally
 * @param forwardedFlows new TCP flows NAT'ed to their real destination for the kernel to forward
 *     ({@link FlowFilter.Action#FORWARD}) instead of to the relay
 */
public record NatStats(
    long packetsIn,
    long forwarded,
    long replied,
    Map<DropReason, Long> dropped,
    int activeEntries,
    long entriesCreated,
    long entriesClaimed,
    long entriesReleased,
    long entriesExpiredUnclaimed,
    long entriesFreedAfterGrace,
    long allocationFailures,
    long idleEntriesCreated,
    long idleEntriesExpired,
    long idleEntriesEvicted,
    long hijackedFlows,
    long rejectedFlows,
    long icmpEchoReplies,
    long forwardedFlows) {

  public NatStats {
    dropped = Collections.unmodifiableMap(new EnumMap<>(dropped));
  }

  /** Sum over all drop reasons. */
  public long droppedTotal() {
    return dropped.values().stream().mapToLong(Long::longValue).sum();
  }

  /** Drops for one reason. */
  public long dropped(DropReason reason) {
    return dropped.getOrDefault(reason, 0L);
  }

  /** Mutable collector filled by the components that own the counters. */
  static final class Builder {
    long packetsIn;
    long forwarded;
    long replied;
    final Map<DropReason, Long> dropped = new EnumMap<>(DropReason.class);
    int activeEntries;
    long entriesCreated;
    long entriesClaimed;
    long entriesReleased;
    long entriesExpiredUnclaimed;
    long entriesFreedAfterGrace;
    long allocationFailures;
    long idleEntriesCreated;
    long idleEntriesExpired;
    long idleEntriesEvicted;
    long hijackedFlows;
    long rejectedFlows;
    long icmpEchoReplies;
    long forwardedFlows;

    NatStats build() {
      return new NatStats(
          packetsIn,
          forwarded,
          replied,
          dropped,
          activeEntries,
          entriesCreated,
          entriesClaimed,
          entriesReleased,
          entriesExpiredUnclaimed,
          entriesFreedAfterGrace,
          allocationFailures,
          idleEntriesCreated,
          idleEntriesExpired,
          idleEntriesEvicted,
          hijackedFlows,
          rejectedFlows,
          icmpEchoReplies,
          forwardedFlows);
    }
  }
}
