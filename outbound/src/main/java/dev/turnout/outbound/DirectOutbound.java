package dev.turnout.outbound;

import dev.turnout.netbase.HostResolver;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import java.net.InetAddress;
import java.util.function.Predicate;

/**
 * DIRECT, and each {@code type: direct} proxy: connects straight to the destination through the
 * {@link Dialer} (Turnout's resolver, Happy-Eyeballs race, routing mark and interface, forbidden
 * ranges refused, this host's own addresses refused unless the destination permits them). Also
 * carries UDP straight to its destination, under the same refusals.
 */
public final class DirectOutbound implements Outbound, UdpOutbound {
  public static final String NAME = "DIRECT";

  private final String name;
  private final Dialer dialer;
  private final boolean ownInterface;

  public DirectOutbound(Dialer dialer) {
    this(NAME, dialer, false);
  }

  /**
   * A direct proxy of the user's ({@code type: direct}) named {@code name}; {@code ownInterface}
   * when {@code dialer} binds its sockets to an {@code interface-name} of the proxy's own.
   */
  public DirectOutbound(String name, Dialer dialer, boolean ownInterface) {
    this.name = name;
    this.dialer = dialer;
    this.ownInterface = ownInterface;
  }

  /**
   * Whether the kernel may carry this outbound's flows itself (forwarded and masqueraded, {@code
   * tun.direct-nat}): not when they must leave by an interface of this proxy's own, which
   * forwarding would not follow.
   */
  public boolean kernelMayForward() {
    return !ownInterface;
  }

  public DirectOutbound(HostResolver resolver, Predicate<InetAddress> forbidden) {
    this(new Dialer(resolver, forbidden));
  }

  @Override
  public String name() {
    return name;
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
