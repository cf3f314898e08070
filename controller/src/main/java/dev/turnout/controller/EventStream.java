package dev.turnout.controller;

import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A stream of JSON events on one connection, as mihomo streams /traffic, /memory, /logs and
 * /connections: over a WebSocket when the request asks for one (one text frame per event),
 * otherwise as a chunked HTTP response (one event and a newline per chunk). The stream owns the
 * connection from then on: the request handler leaves the pipeline, anything the client sends is
 * dropped (WebSocket pings answered, a close frame honoured), and the stream ends when the
 * connection closes or a write fails. Events are produced on the channel's event loop, one {@link
 * Source#tick} per period; a tick is skipped while the socket buffer is full, so a slow reader
 * costs memory for at most one tick's events.
 */
final class EventStream {
  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EventStream.class);
  private static final int MAX_FRAME = 64 * 1024;

  /** Produces the events of one tick. Called on the event loop only. */
  interface Source {
    void tick(Consumer<String> emit);

    /** The connection closed; release what the source holds. */
    default void close() {}
  }

  private EventStream() {}

  /**
   * Answers {@code exchange} with a stream of {@code source}'s events: the first tick after {@code
   * firstMillis}, then one every {@code periodMillis}.
   */
  static void start(Exchange exchange, long firstMillis, long periodMillis, Source source) {
    exchange.takenOver();
    if (log.isDebugEnabled()) {
      log.debug(
          "{} {} stream{}",
          exchange.method,
          Exchange.redacted(exchange.uri),
          exchange.wantsWebSocket() ? " (WebSocket)" : "");
    }
    ChannelHandlerContext ctx = exchange.ctx;
    Channel channel = ctx.channel();
    if (exchange.wantsWebSocket()) {
      FullHttpRequest request = exchange.request();
      String url =
          (channel.pipeline().get(SslHandler.class) != null ? "wss://" : "ws://")
              + request.headers().get(HttpHeaderNames.HOST, "localhost")
              + request.uri();
      WebSocketServerHandshaker handshaker =
          new WebSocketServerHandshakerFactory(url, null, true, MAX_FRAME).newHandshaker(request);
      if (handshaker == null) {
        WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(channel)
            .addListener(ChannelFutureListener.CLOSE);
        source.close();
        return;
      }
      handshaker
          .handshake(channel, request)
          .addListener(
              f -> {
                if (!f.isSuccess()) {
                  source.close();
                  channel.close();
                  return;
                }
                takeOver(ctx, new WebSocketFrames());
                run(channel, firstMillis, periodMillis, source, true);
              });
      return;
    }
    HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
    head.headers()
        .set(HttpHeaderNames.CONTENT_TYPE, "application/json")
        .set(HttpHeaderNames.TRANSFER_ENCODING, HttpHeaderValues.CHUNKED)
        .set(HttpHeaderNames.CACHE_CONTROL, "no-cache");
    exchange.decorate(head.headers());
    channel.writeAndFlush(head);
    ChannelPipeline pipeline = channel.pipeline();
    if (pipeline.get(HttpObjectAggregator.class) != null) {
      pipeline.remove(HttpObjectAggregator.class);
    }
    takeOver(ctx, new Discard());
    run(channel, firstMillis, periodMillis, source, false);
  }

  /** The request handler leaves; {@code next} takes whatever the client sends. */
  private static void takeOver(ChannelHandlerContext ctx, ChannelInboundHandlerAdapter next) {
    ChannelPipeline pipeline = ctx.pipeline();
    pipeline.addLast(next);
    pipeline.remove(ctx.handler());
    ctx.channel().config().setAutoRead(true);
  }

  private static void run(
      Channel channel, long firstMillis, long periodMillis, Source source, boolean webSocket) {
    Consumer<String> emit =
        json -> {
          String line = json + "\n";
          Object message =
              webSocket
                  ? new TextWebSocketFrame(ByteBufUtil.writeUtf8(channel.alloc(), line))
                  : new DefaultHttpContent(ByteBufUtil.writeUtf8(channel.alloc(), line));
          channel
              .write(message)
              .addListener(
                  f -> {
                    if (!f.isSuccess()) {
                      channel.close();
                    }
                  });
        };
    ScheduledFuture<?> ticks =
        channel
            .eventLoop()
            .scheduleAtFixedRate(
                () -> {
                  if (channel.isActive() && channel.isWritable()) {
                    source.tick(emit);
                    channel.flush();
                  }
                },
                firstMillis,
                periodMillis,
                TimeUnit.MILLISECONDS);
    channel
        .closeFuture()
        .addListener(
            f -> {
              ticks.cancel(false);
              source.close();
            });
  }

  /** After a WebSocket upgrade: answers pings, honours a close, drops everything else. */
  private static final class WebSocketFrames extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof CloseWebSocketFrame close) {
        ctx.writeAndFlush(close.retainedDuplicate()).addListener(ChannelFutureListener.CLOSE);
      } else if (msg instanceof PingWebSocketFrame ping) {
        ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** After a chunked stream started: the client has nothing more to say. */
  private static final class Discard extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }
}
