package dev.turnout.outbound.group;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.outbound.UnavailableOutbound;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.util.List;

/** Small helpers shared by the group types. */
final class Groups {
  /** What a group with no members (its providers have none) connects to: nothing, as mihomo. */
  static final Outbound NO_MEMBERS =
      new UnavailableOutbound("COMPATIBLE", "Compatible", "the group has no members");

  private Groups() {}

  /** The member called {@code name}, or null (also for a null name). */
  static Outbound byName(List<Outbound> members, String name) {
    if (name == null) {
      return null;
    }
    for (Outbound m : members) {
      if (m.name().equals(name)) {
        return m;
      }
    }
    return null;
  }

  /** The first member Turnout can speak, else the first member: the default choice of a group. */
  static Outbound firstAvailable(List<Outbound> members) {
    for (Outbound m : members) {
      if (!UnavailableOutbound.is(m)) {
        return m;
      }
    }
    return members.get(0);
  }

  static Future<DatagramSession> openUdp(
      Outbound member, Group group, EventLoop loop, DatagramSession.Receiver receiver) {
    if (group.udpDisabled()) {
      return loop.newFailedFuture(
          new UnsupportedOperationException(group.name() + ": disable-udp is set"));
    }
    if (member instanceof UdpOutbound udp) {
      return udp.openUdp(loop, receiver);
    }
    return loop.newFailedFuture(
        new UnsupportedOperationException(
            group.name() + ": member " + member.name() + " does not carry UDP"));
  }
}
