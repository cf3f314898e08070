package dev.turnout.outbound;

import dev.turnout.netbase.HostResolver;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.util.function.Predicate;

/**
 * DIRECT: connects straight to the destination through the {@link Dialer} (Turnout's resolver,
 * Happy-Eyeballs race, routing mark and interface, forbidden ranges refused, this host's own
 * addresses refused unless the destination permits them). Also carries UDP straight to its
 * destination, under the same refusals.
 */
public final class DirectOutbound implements Outbound, UdpOutbound {
  public static final String NAME = "DIRECT";

  private final Dialer dialer;

  public DirectOutbound(Dialer dialer) {
    this.dialer = dialer;
  }

  public DirectOutbound(HostResolver resolver, Predicate<InetAddress> forbidden) {
    this(new Dialer(resolver, forbidden));
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public String type() {
    return "Direct";
  }

  @Override
  public Future<Channel> connect(Destination destination, EventLoop loop) {
    return dialer.dial(destination, loop);
  }

  @Override
  public Future<DatagramSession> openUdp(EventLoop loop, DatagramSession.Receiver receiver) {
    return DirectDatagramSession.open(dialer, loop, receiver);
  }
}
