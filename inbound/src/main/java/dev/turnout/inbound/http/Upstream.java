package dev.turnout.inbound.http;

import dev.turnout.relay.Connection;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Router;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufHolder;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;

/**
 * The connection to one host that an HTTP proxy client's plain requests go to, through the outbound
 * its first request was routed to. Listed in the connections with its byte counts (the HTTP bytes,
 * before any proxy protocol wraps them) while open; serves one {@link Exchange} at a time and
 * waits, idle, for the next request to its host while the client keeps alive. Confined to the
 * client's event loop.
 */
final class Upstream extends ChannelDuplexHandler {
  private static final int IDLE_TICKS_IN_EXCHANGE = 5;

  final Channel channel;
  final String key; // host:port
  private final HttpProxyHandler owner;
  private Connection connection;
  private Exchange exchange; // null while idle
  private int idleTicks;

  private Upstream(Channel channel, String key, HttpProxyHandler owner) {
    this.channel = channel;
    this.key = key;
    this.owner = owner;
  }

  /**
   * Takes over a dialed {@code channel} (auto-read off, the outbound's handlers in front): adds the
   * HTTP client codec behind a byte counter and lists the connection.
   */
  static Upstream attach(
      Channel channel, String key, Origin origin, Router.Route route, HttpProxyHandler owner) {
    Upstream upstream = new Upstream(channel, key, owner);
    upstream.connection = owner.dispatch.open(origin, route, upstream::close);
    channel
        .pipeline()
        .addLast(
            new IdleStateHandler(0, 0, HttpProxyServer.IDLE_SECONDS, TimeUnit.SECONDS),
            upstream,
            new HttpClientCodec(
                HttpProxyServer.MAX_LINE, HttpProxyServer.MAX_HEADERS, HttpProxyServer.MAX_CHUNK),
            new ResponseReader(upstream));
    channel.closeFuture().addListener(f -> upstream.closed());
    return upstream;
  }

  boolean isActive() {
    return channel.isActive();
  }

  void serve(Exchange next) {
    exchange = next;
    idleTicks = 0;
  }

  /** The exchange is over: wait for the next request to this host, or close. */
  void release(boolean keep) {
    exchange = null;
    if (keep && channel.isActive()) {
      owner.park(this);
    } else {
      close();
    }
  }

  void close() {
    channel.close();
  }

  private void closed() {
    connection.ended();
    Exchange serving = exchange;
    exchange = null;
    if (serving != null) {
      serving.upstreamLost();
    } else {
      owner.forget(this);
    }
  }

  /** Closes {@code channel} once what was written to it is flushed. */
  static void closeOnFlush(Channel channel) {
    if (channel.isActive()) {
      channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
    }
  }

  // Counting: this handler sits between the outbound's handlers and the HTTP codec.

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    idleTicks = 0;
    connection.transferred(false, bytes(msg));
    ctx.fireChannelRead(msg);
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    connection.transferred(true, bytes(msg));
    ctx.write(msg, promise);
  }

  private static int bytes(Object msg) {
    if (msg instanceof ByteBuf buf) {
      return buf.readableBytes();
    }
    return msg instanceof ByteBufHolder holder ? holder.content().readableBytes() : 0;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) {
    if (event instanceof IdleStateEvent) {
      if (exchange == null || ++idleTicks >= IDLE_TICKS_IN_EXCHANGE) {
        ctx.close();
      }
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }

  /** The last handler: hands the decoded response to the exchange it belongs to. */
  private static final class ResponseReader extends io.netty.channel.ChannelInboundHandlerAdapter {
    private final Upstream upstream;

    ResponseReader(Upstream upstream) {
      this.upstream = upstream;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      Exchange exchange = upstream.exchange;
      if (exchange == null || !(msg instanceof HttpObject object)) {
        ReferenceCountUtil.release(msg); // a server talking out of turn: the connection goes
        ctx.close();
        return;
      }
      exchange.response(object);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
