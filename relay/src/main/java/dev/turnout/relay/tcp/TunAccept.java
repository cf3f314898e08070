package dev.turnout.relay.tcp;

import dev.turnout.relay.Origin;
import dev.turnout.relay.Origins;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * The first handler of a connection accepted on the TUN address: only a live NAT session is served
 * (anything else is reset and counted); its origin goes to the {@link TcpRelay}, and the session is
 * released when the socket closes.
 */
final class TunAccept extends ChannelInboundHandlerAdapter {
  private final Origins origins;
  private final TcpRelay relay;

  TunAccept(Origins origins, TcpRelay relay) {
    this.origins = origins;
    this.relay = relay;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    Channel inbound = ctx.channel();
    InetSocketAddress peer = (InetSocketAddress) inbound.remoteAddress();
    Optional<Origin> claimed = origins.claim(peer);
    if (claimed.isEmpty()) {
      relay.stats.notFromNat.increment();
      TcpRelay.reset(inbound);
      return;
    }
    inbound.closeFuture().addListener(f -> origins.release(peer));
    relay.stats.accepted.increment();
    ctx.pipeline().remove(this);
    relay.relay(inbound, claimed.get(), TcpRelay.Handshake.NONE);
  }
}
