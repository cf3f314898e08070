package dev.turnout.inbound.tunnel;

import dev.turnout.inbound.ClientHandler;
import dev.turnout.inbound.Dispatch;
import dev.turnout.inbound.Handover;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.relay.Inbound;
import io.netty.channel.ChannelHandlerContext;

/**
 * A tunnel's client (mihomo's {@code tunnels:}, a local port forward): there is no handshake, so
 * the connection goes to the relay as soon as it is accepted, towards the tunnel's target, through
 * the tunnel's proxy or as the rules say. The client's first bytes wait in the relay until the
 * target is connected; a failed dial or a REJECT resets the client, as for a captured connection.
 */
public final class TunnelHandler extends ClientHandler {
  /** The inbound type dashboards show, as mihomo's. */
  public static final String TYPE = "Tunnel";

  private final Dispatch dispatch;

  public TunnelHandler(Dispatch dispatch) {
    this.dispatch = dispatch;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    ListenerSpec spec = dispatch.listener();
    Inbound kind = new Inbound(TYPE, spec.name(), spec.bind().getPort(), null);
    Handover.toRelayAtOnce(ctx, dispatch, spec.target(), kind, this);
  }
}
