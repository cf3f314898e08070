package dev.turnout.outbound;

import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;

/**
 * Sits at the tail of a pipeline while a proxy handshake runs. A proxy may send the first bytes of
 * the destination's stream in the same segment as its handshake reply (think SSH or SMTP banners);
 * they would otherwise reach the tail before the caller has added its handler and be discarded.
 * This holds them, and an end of input, until the caller's first {@code read()}, then replays them
 * and leaves the pipeline.
 */
final class HeldInbound extends ChannelDuplexHandler {
  private final List<Object> held = new ArrayList<>(1);
  private boolean inputShutdown;

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    held.add(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    // Nobody to tell yet.
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      inputShutdown = true;
    } else {
      ctx.fireUserEventTriggered(evt);
    }
  }

  @Override
  public void read(ChannelHandlerContext ctx) {
    List<Object> replay = new ArrayList<>(held);
    held.clear();
    boolean eof = inputShutdown;
    // Leave first: the caller may ask for more while the replay runs.
    ctx.pipeline().remove(this);
    for (Object msg : replay) {
      ctx.fireChannelRead(msg);
    }
    if (!replay.isEmpty()) {
      ctx.fireChannelReadComplete();
    }
    if (eof) {
      ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }
    if (replay.isEmpty() && !eof) {
      ctx.read();
    }
  }

  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    held.forEach(ReferenceCountUtil::release);
    held.clear();
  }
}
