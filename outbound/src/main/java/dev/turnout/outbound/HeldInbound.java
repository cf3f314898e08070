package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sits at the tail of a pipeline while a proxy handshake runs. A proxy may send the first bytes of
 * the destination's stream in the same segment as its handshake reply (think SSH or SMTP banners);
 * they would otherwise reach the tail before the caller has added its handler and be discarded.
 * This holds them, and an end of input, until the caller's first {@code read()}, then replays them
 * and leaves the pipeline.
 */
public final class HeldInbound extends ChannelDuplexHandler {
  private final List<Object> held = new ArrayList<>(1);
  private boolean inputShutdown;

  HeldInbound() {}

  /** What a channel held: bytes in arrival order, and whether its input had ended. */
  public record Held(List<ByteBuf> bytes, boolean inputShutdown) {}

  /**
   * True if {@code channel}'s pipeline holds nothing but possibly a {@link HeldInbound}: no codec,
   * no TLS, so its bytes are the destination's stream as it is.
   */
  public static boolean isPlainStream(Channel channel) {
    Map<String, ChannelHandler> handlers = channel.pipeline().toMap();
    return handlers.isEmpty()
        || (handlers.size() == 1 && handlers.values().iterator().next() instanceof HeldInbound);
  }

  /**
   * Adds {@code handler} in front of {@code channel}'s {@link HeldInbound}, or at the tail when it
   * has none (a channel that already carried a proxy connection, as the inner hop of a chain).
   */
  public static void addBefore(Channel channel, ChannelHandler handler) {
    addBefore(channel, null, handler);
  }

  /** As {@link #addBefore(Channel, ChannelHandler)}, under {@code name} (null: generated). */
  public static void addBefore(Channel channel, String name, ChannelHandler handler) {
    HeldInbound held = channel.pipeline().get(HeldInbound.class);
    if (held != null) {
      channel.pipeline().addBefore(channel.pipeline().context(held).name(), name, handler);
    } else {
      channel.pipeline().addLast(name, handler);
    }
  }

  /**
   * Removes the {@link HeldInbound} of {@code channel}, if any, without replaying: for a caller
   * that moves the socket's I/O out of Netty. Call on the channel's event loop once it no longer
   * reads (deregistered); the caller owns the returned buffers.
   */
  public static Held takeFrom(Channel channel) {
    HeldInbound handler = channel.pipeline().get(HeldInbound.class);
    if (handler == null) {
      return new Held(List.of(), false);
    }
    List<ByteBuf> bytes = new ArrayList<>(handler.held.size());
    for (Object msg : handler.held) {
      if (msg instanceof ByteBuf buf) {
        bytes.add(buf);
      } else {
        ReferenceCountUtil.release(msg);
      }
    }
    handler.held.clear();
    boolean ended = handler.inputShutdown;
    channel.pipeline().remove(handler);
    return new Held(bytes, ended);
  }

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
