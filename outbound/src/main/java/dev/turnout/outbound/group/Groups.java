package dev.turnout.outbound.group;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;

/** Small helpers shared by the group types. */
final class Groups {
  private Groups() {}

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
