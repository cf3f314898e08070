package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import java.time.Duration;
import java.util.List;

/**
 * {@code url-test}: the alive member with the lowest measured delay. To avoid flapping, the current
 * member is kept unless it died or another one is faster by more than {@code tolerance}. A member
 * the group is fixed to wins while it is alive.
 */
final class UrlTestGroup extends CheckedGroup {
  private final Duration tolerance;
  private volatile Outbound current;

  UrlTestGroup(
      String name,
      List<Outbound> members,
      Check check,
      Duration tolerance,
      Prober prober,
      TimeSource clock) {
    super(name, members, check, prober, clock);
    this.tolerance = tolerance;
    this.current = members.get(0);
  }

  @Override
  public String type() {
    return "URLTest";
  }

  @Override
  synchronized void updated() {
    Outbound fastest = null;
    for (Outbound m : members) {
      Duration d = delay(m);
      if (d != null && (fastest == null || d.compareTo(delay(fastest)) < 0)) {
        fastest = m;
      }
    }
    if (fastest == null) {
      // Nothing measured alive: prefer any member not known dead.
      if (!alive(current)) {
        List<Outbound> alive = aliveMembers();
        current = alive.isEmpty() ? current : alive.get(0);
      }
      return;
    }
    Duration now = delay(current);
    if (now == null || delay(fastest).plus(tolerance).compareTo(now) < 0) {
      current = fastest;
    }
  }

  @Override
  public boolean fixable() {
    return true;
  }

  @Override
  Outbound choose(Destination destination) {
    Outbound f = fixedIfAlive();
    return f != null ? f : current;
  }

  @Override
  public String now() {
    return choose(null).name();
  }
}
