package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import java.util.List;

/**
 * {@code fallback}: the first member, in configuration order, that passed its last check; a member
 * the group is fixed to comes first while it is alive.
 */
final class FallbackGroup extends CheckedGroup {
  FallbackGroup(String name, Members members, HealthCheck check, Prober prober, TimeSource clock) {
    super(name, members, check, prober, clock);
  }

  @Override
  public String type() {
    return "Fallback";
  }

  @Override
  public boolean fixable() {
    return true;
  }

  @Override
  Outbound choose(List<Outbound> members, Destination destination) {
    for (Outbound m : members) {
      if (alive(m)) {
        return m;
      }
    }
    // All dead: the first is as good a guess as any, and fails visibly.
    return members.get(0);
  }
}
