package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code load-balance}: spreads connections over the alive members. {@code consistent-hashing}
 * keeps one destination (by host name, else address) on one member, using rendezvous hashing so
 * that a member dying moves only the destinations it carried; {@code round-robin} takes the alive
 * members in turn.
 */
final class LoadBalanceGroup extends CheckedGroup {
  enum Strategy {
    CONSISTENT_HASHING,
    ROUND_ROBIN
  }

  private final Strategy strategy;
  private final AtomicInteger next = new AtomicInteger();
  private volatile Outbound last;

  LoadBalanceGroup(
      String name,
      Members members,
      HealthCheck check,
      Strategy strategy,
      Prober prober,
      TimeSource clock) {
    super(name, members, check, prober, clock);
    this.strategy = strategy;
  }

  @Override
  public String type() {
    return "LoadBalance";
  }

  @Override
  Outbound choose(List<Outbound> members, Destination destination) {
    List<Outbound> candidates = aliveMembers();
    if (candidates.isEmpty()) {
      candidates = members;
    }
    Outbound chosen;
    if (strategy == Strategy.ROUND_ROBIN || destination == null) {
      chosen = candidates.get(Math.floorMod(next.getAndIncrement(), candidates.size()));
    } else {
      String key =
          destination.host() != null
              ? destination.host().toLowerCase(java.util.Locale.ROOT)
              : destination.address().getHostAddress();
      chosen = null;
      long best = 0;
      for (Outbound m : candidates) {
        long score = score(key, m.name());
        if (chosen == null || Long.compareUnsigned(score, best) > 0) {
          chosen = m;
          best = score;
        }
      }
    }
    last = chosen;
    return chosen;
  }

  /** The member picked last (the first before any pick). */
  @Override
  public String now() {
    Outbound picked = last;
    List<String> names = members();
    if (picked != null && names.contains(picked.name())) {
      return picked.name();
    }
    return names.isEmpty() ? Groups.NO_MEMBERS.name() : names.get(0);
  }

  /** Rendezvous weight of {@code member} for {@code key}: FNV-1a 64 then a murmur3 finalizer. */
  static long score(String key, String member) {
    long h = 0xcbf29ce484222325L;
    for (byte b : (key + '\0' + member).getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    return h;
  }
}
