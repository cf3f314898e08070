package dev.turnout.relay.tcp;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes both sides of a relayed connection when neither has read or written for {@link the idle
 * timeout}, so connections whose peers vanished without a FIN or RST do not hold sockets and NAT
 * sessions forever. A one-way download keeps both sides busy (one reads, the other writes), so only
 * true silence counts.
 */
final class IdleClose {
  private final Channel inbound;
  private final Channel upstream;
  private final long idleMillis;

  IdleClose(Channel inbound, Channel upstream, Duration idle) {
    this.inbound = inbound;
    this.upstream = upstream;
    this.idleMillis = idle.toMillis();
  }

  ChannelHandler handler() {
    return new IdleStateHandler(0, 0, idleMillis, TimeUnit.MILLISECONDS) {
      @Override
      protected void channelIdle(ChannelHandlerContext ctx, IdleStateEvent event) {
        inbound.close();
        upstream.close();
      }
    };
  }
}
