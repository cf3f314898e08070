package dev.turnout.relay.tcp;

import dev.turnout.relay.Connection;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AdaptiveRecvByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;

/**
 * Copies bytes from the channel it is installed on to {@code peer}. Backpressure: the next read is
 * requested only after the previous write has been flushed, so a slow side never makes the other
 * buffer without bound. Half-close: end of input on this side shuts the peer's output; a channel
 * whose input and output are both shut is closed; closing either side closes the other once its
 * pending writes are flushed.
 */
final class Pipe extends ChannelInboundHandlerAdapter {
  private final Channel peer;
  private final Connection connection;
  private final boolean upstream;

  Pipe(Channel peer, Connection connection, boolean upstream) {
    this.peer = peer;
    this.connection = connection;
    this.upstream = upstream;
  }

  /**
   * Reads grow to 256 KiB under load: one syscall then moves several 64 KiB TUN segments, while
   * idle connections stay at small buffers.
   */
  private static final AdaptiveRecvByteBufAllocator READS =
      new AdaptiveRecvByteBufAllocator(2048, 16 * 1024, 256 * 1024);

  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    ctx.channel().config().setRecvByteBufAllocator(READS);
    readMore(ctx);
  }

  /** Reading past end of input would make epoll close the channel, cutting the other direction. */
  private static void readMore(ChannelHandlerContext ctx) {
    Channel channel = ctx.channel();
    if (channel.isActive() && !((DuplexChannel) channel).isInputShutdown()) {
      ctx.read();
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    if (msg instanceof ByteBuf buf) {
      connection.transferred(upstream, buf.readableBytes());
    }
    peer.writeAndFlush(msg)
        .addListener(
            (ChannelFutureListener)
                f -> {
                  if (f.isSuccess()) {
                    readMore(ctx);
                  } else {
                    ctx.close();
                  }
                });
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof ChannelInputShutdownEvent) {
      if (peer instanceof DuplexChannel duplex && peer.isActive()) {
        // Queue the shutdown behind pending writes so no byte is cut off.
        peer.writeAndFlush(Unpooled.EMPTY_BUFFER)
            .addListener(f -> duplex.shutdownOutput().addListener(g -> closeIfDone(duplex)));
      } else {
        peer.close();
      }
      closeIfDone((DuplexChannel) ctx.channel());
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  private static void closeIfDone(DuplexChannel channel) {
    if (channel.isInputShutdown() && channel.isOutputShutdown()) {
      channel.close();
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    closeOnFlush(peer);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // A reset or broken pipe on one side is normal end of a connection; close both.
    ctx.close();
  }

  static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }
}
