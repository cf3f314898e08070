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
  private Groups() {}

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
      Outbound member, String group, EventLoop loop, DatagramSession.Receiver receiver) {
    if (member instanceof UdpOutbound udp) {
      return udp.openUdp(loop, receiver);
    }
    return loop.newFailedFuture(
        new UnsupportedOperationException(
            group + ": member " + member.name() + " does not carry UDP"));
  }
}
