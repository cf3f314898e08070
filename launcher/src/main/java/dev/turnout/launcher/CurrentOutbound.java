package dev.turnout.launcher;

import dev.turnout.outbound.DatagramSession;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.io.IOException;

/**
 * The outbound called {@code name} in whichever {@link Generation} is current when a connection is
 * made: what a long-lived part that names a policy once (a listener's {@code proxy}) holds, so that
 * it follows reloads and the group choices made since. A policy a reload removed fails the
 * connection. Thread-safe.
 */
final class CurrentOutbound implements Outbound, UdpOutbound {
  private final LiveRouting routing;
  private final String name;

  CurrentOutbound(LiveRouting routing, String name) {
    this.routing = routing;
    this.name = name;
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public String type() {
    Outbound now = routing.current().outbounds.get(name);
    return now == null ? "Unknown" : now.type();
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    Outbound now = routing.current().outbounds.get(name);
    if (now == null) {
      return loop.newFailedFuture(gone());
    }
    return now.connect(destination, loop);
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    Outbound now = routing.current().outbounds.get(name);
    if (now == null) {
      return loop.newFailedFuture(gone());
    }
    if (!(now instanceof UdpOutbound udp)) {
      return loop.newFailedFuture(new UnsupportedOperationException(name + " does not carry UDP"));
    }
    return udp.openUdp(loop, receiver);
  }

  private IOException gone() {
    return new IOException("no proxy or group named " + name + " since the last reload");
  }
}
