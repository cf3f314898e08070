package dev.turnout.inbound.transparent;

import dev.turnout.inbound.ClientHandler;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.netbase.ErrnoException;
import dev.turnout.netbase.LocalAddresses;
import dev.turnout.outbound.Destination;
import dev.turnout.relay.Inbound;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetSocketAddress;

/**
 * A client whose connection a firewall rule turned to this listener (mihomo's {@code redir-port}
 * and {@code tproxy-port}). There is no handshake: the destination is where the client was going,
 * which conntrack keeps for a REDIRECT ({@link OriginalDestination}) and which is the connection's
 * own local address under TPROXY. The connection goes to the relay at once, as a tunnel's does.
 *
 * <p>A connection made to the listener itself, not turned to it by a rule, is reset and counted: it
 * has no other destination, and relaying it to the listener would loop.
 */
public final class TransparentHandler extends ClientHandler {
  /** The inbound types dashboards show, as mihomo's. */
  public static final String REDIR = "Redir";

  public static final String TPROXY = "TProxy";

  private final Dispatch dispatch;

  public TransparentHandler(Dispatch dispatch) {
    this.dispatch = dispatch;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ListenerSpec spec = dispatch.listener();
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    InetSocketAddress local = (InetSocketAddress) ctx.channel().localAddress();
    boolean redir = spec.kind() == ListenerSpec.Kind.REDIR;
    InetSocketAddress target;
    try {
      target =
          redir
              ? OriginalDestination.of(((EpollSocketChannel) ctx.channel()).fd().intValue(), client)
              : local;
    } catch (ErrnoException e) {
      target = null; // ENOENT: conntrack has no redirected connection by that name
    }
    InetSocketAddress listener = (InetSocketAddress) ctx.channel().parent().localAddress();
    // A REDIRECT that did not happen leaves the connection's own address as its original
    // destination; under TPROXY the local address is the listener's only when the client
    // connected to it.
    if (target == null || (redir ? target.equals(local) : isListener(listener, target))) {
      dispatch
          .stats()
          .bad(
              InboundStats.Event.NOT_REDIRECTED,
              "{}: {} connected to the listener itself, not by a firewall {} rule; refused",
              spec.name(),
              client,
              redir ? "REDIRECT" : "TPROXY");
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
      return;
    }
    Inbound kind = new Inbound(redir ? REDIR : TPROXY, spec.name(), spec.bind().getPort(), null);
    Handover.toRelayAtOnce(
        ctx, dispatch, new Destination(null, target.getAddress(), target.getPort()), kind, this);
  }

  /**
   * Whether {@code target} is the listener bound at {@code listener} itself: its port, at its
   * address or, when it listens on every address, at one of this host's.
   */
  public static boolean isListener(InetSocketAddress listener, InetSocketAddress target) {
    return target.getPort() == listener.getPort()
        && (listener.getAddress().isAnyLocalAddress()
            ? LocalAddresses.isLocalNow(target.getAddress())
            : listener.getAddress().equals(target.getAddress()));
  }
}
