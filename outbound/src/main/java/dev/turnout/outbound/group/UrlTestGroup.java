package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import java.time.Duration;
import java.util.List;

/**
 * {@code url-test}: the alive member with the lowest measured delay. To avoid flapping, the current
 * member is kept unless it died, left the group, or another one is faster by more than {@code
 * tolerance}. A member the group is fixed to wins while it is alive.
 */
final class UrlTestGroup extends CheckedGroup {
  private final Duration tolerance;
  private volatile Outbound current;

  UrlTestGroup(
      String name,
      Members members,
      HealthCheck check,
      Duration tolerance,
      Prober prober,
      TimeSource clock) {
    super(name, members, check, prober, clock);
    this.tolerance = tolerance;
    List<Outbound> now = members.get();
    this.current = now.isEmpty() ? Groups.NO_MEMBERS : Groups.firstAvailable(now);
  }

  @Override
  public String type() {
    return "URLTest";
  }

  @Override
  synchronized void updated() {
    List<Outbound> now = members.get();
    if (now.isEmpty()) {
      current = Groups.NO_MEMBERS;
      return;
    }
    Outbound fastest = null;
    for (Outbound m : now) {
      Duration d = delay(m);
      if (d != null && (fastest == null || d.compareTo(delay(fastest)) < 0)) {
        fastest = m;
      }
    }
    Outbound same = Groups.byName(now, current.name());
    if (fastest == null) {
      // Nothing measured alive: prefer any member not known dead.
      if (same == null || !alive(same)) {
        List<Outbound> alive = aliveMembers();
        current = alive.isEmpty() ? Groups.firstAvailable(now) : alive.get(0);
      } else {
        current = same;
      }
      return;
    }
    Duration delay = same == null ? null : delay(same);
    current = delay == null || delay(fastest).plus(tolerance).compareTo(delay) < 0 ? fastest : same;
  }

  @Override
  public boolean fixable() {
    return true;
  }

  @Override
  Outbound choose(List<Outbound> members, Destination destination) {
    return current;
  }
}
