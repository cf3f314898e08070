package dev.turnout.inbound.listen;

import dev.turnout.inbound.HandshakeDeadline;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import java.net.InetSocketAddress;

/**
 * The first handler of an accepted client: refuses (with a reset) and counts a client that the
 * listener's {@link dev.turnout.inbound.ClientFilter} does not admit, otherwise starts the
 * handshake clock, asks for the first bytes (auto-read is off) and leaves.
 */
final class Gate extends ChannelInboundHandlerAdapter {
  private final ListenerSpec spec;
  private final InboundStats stats;

  Gate(ListenerSpec spec, InboundStats stats) {
    this.spec = spec;
    this.stats = stats;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    InetSocketAddress client = (InetSocketAddress) ctx.channel().remoteAddress();
    if (!spec.filter().admits(client.getAddress())) {
      stats.bad(
          InboundStats.Event.REFUSED_CLIENT,
          "{}: refused {}: outside lan-allowed-ips or inside lan-disallowed-ips",
          spec.name(),
          client);
      ctx.channel().config().setOption(ChannelOption.SO_LINGER, 0);
      ctx.close();
      return;
    }
    stats.count(InboundStats.Event.ACCEPTED, 1);
    HandshakeDeadline.start(ctx.channel(), HandshakeDeadline.DEFAULT, stats, spec.name());
    ctx.pipeline().remove(this);
    ctx.fireChannelActive();
    ctx.read();
  }
}
