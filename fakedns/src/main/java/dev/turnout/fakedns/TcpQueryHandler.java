package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * DNS over TCP (RFC 7766): 2-byte length framing, any number of queries per connection, answers
 * written as they complete (possibly out of order). At most {@link #MAX_PENDING} queries are in
 * flight per connection; beyond that reading pauses. A connection with nothing in flight that has
 * been silent for the idle timeout is closed. One instance per connection; all state is touched on
 * the channel's event loop only.
 */
final class TcpQueryHandler extends ChannelInboundHandlerAdapter {
  static final int MAX_PENDING = 32;

  private final QueryProcessor processor;
  private final long idleNanos;
  private ByteBuf buffer;
  private int pending;
  private long lastActivity;

  private final SourceGuard guard;
  private final Function<InetSocketAddress, InetAddress> clients;
  private InetAddress client;

  TcpQueryHandler(
      QueryProcessor processor,
      Duration idleTimeout,
      SourceGuard guard,
      Function<InetSocketAddress, InetAddress> clients) {
    this.processor = processor;
    this.idleNanos = idleTimeout.toNanos();
    this.guard = guard;
    this.clients = clients;
  }

  @Override
  public void channelActive(ChannelHandlerContext ctx) {
    if (ctx.channel().remoteAddress() instanceof InetSocketAddress peer) {
      if (!guard.admitConnection(peer.getAddress())) {
        ctx.close();
        return;
      }
      client = clients.apply(peer);
    }
    buffer = ctx.alloc().buffer(512);
    lastActivity = System.nanoTime();
    scheduleIdleCheck(ctx, idleNanos);
    ctx.fireChannelActive();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ByteBuf in = (ByteBuf) msg;
    if (buffer == null) { // refused in channelActive
      in.release();
      return;
    }
    try {
      buffer.writeBytes(in);
    } finally {
      in.release();
    }
    lastActivity = System.nanoTime();
    while (buffer.readableBytes() >= 2) {
      int length = buffer.getUnsignedShort(buffer.readerIndex());
      if (buffer.readableBytes() < 2 + length) {
        break;
      }
      buffer.skipBytes(2);
      byte[] wire = new byte[length];
      buffer.readBytes(wire);
      dispatch(ctx, wire);
    }
    buffer.discardReadBytes();
  }

  private void dispatch(ChannelHandlerContext ctx, byte[] wire) {
    pending++;
    if (pending >= MAX_PENDING) {
      ctx.channel().config().setAutoRead(false);
    }
    processor
        .process(wire, false, client)
        .thenAccept(answer -> ctx.executor().execute(() -> respond(ctx, answer)));
  }

  private void respond(ChannelHandlerContext ctx, byte[] answer) {
    pending--;
    lastActivity = System.nanoTime();
    if (!ctx.channel().isActive()) {
      return;
    }
    if (answer != null) {
      ByteBuf out = ctx.alloc().buffer(2 + answer.length);
      out.writeShort(answer.length);
      out.writeBytes(answer);
      ctx.writeAndFlush(out);
    }
    if (pending < MAX_PENDING && !ctx.channel().config().isAutoRead()) {
      ctx.channel().config().setAutoRead(true);
    }
  }

  private void scheduleIdleCheck(ChannelHandlerContext ctx, long delayNanos) {
    ctx.executor()
        .schedule(
            () -> {
              if (!ctx.channel().isActive()) {
                return;
              }
              long idleFor = System.nanoTime() - lastActivity;
              if (pending == 0 && idleFor >= idleNanos) {
                ctx.close();
              } else {
                scheduleIdleCheck(ctx, Math.max(idleNanos - idleFor, idleNanos / 4));
              }
            },
            delayNanos,
            TimeUnit.NANOSECONDS);
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    releaseBuffer();
    ctx.fireChannelInactive();
  }

  /** Also when the pipeline is torn down without an inactive event (an event loop shut down). */
  @Override
  public void handlerRemoved(ChannelHandlerContext ctx) {
    releaseBuffer();
  }

  private void releaseBuffer() {
    if (buffer != null) {
      buffer.release();
      buffer = null;
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close(); // connection reset and the like: nothing to answer
  }
}
