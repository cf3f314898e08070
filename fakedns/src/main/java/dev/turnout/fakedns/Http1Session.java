package dev.turnout.fakedns;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * DNS over HTTPS on one HTTP/1.1 connection, for servers that do not offer h2: one request at a
 * time, the connection kept alive unless the server says {@code Connection: close}. A timeout, an
 * error or the server closing fails the exchange in flight and closes the connection. Thread-safe:
 * state is touched on the channel's event loop only.
 */
final class Http1Session extends ChannelInboundHandlerAdapter implements DohSession {
  private final Channel channel;
  private final String server;
  private final String authority;
  private final String path;
  private volatile boolean reusable = true;
  private CompletableFuture<byte[]> pending; // event loop only
  private ScheduledFuture<?> timer; // event loop only

  private Http1Session(Channel channel, String server, String authority, String path) {
    this.channel = channel;
    this.server = server;
    this.authority = authority;
    this.path = path;
  }

  /** Starts HTTP/1.1 on {@code channel}, TLS done. Event loop only. */
  static Http1Session start(Channel channel, String server, String authority, String path) {
    Http1Session session = new Http1Session(channel, server, authority, path);
    channel
        .pipeline()
        .addLast(new HttpClientCodec(), new HttpObjectAggregator(MAX_ANSWER), session);
    return session;
  }

  @Override
  public boolean multiplexes() {
    return false;
  }

  @Override
  public boolean isOpen() {
    return reusable && channel.isActive();
  }

  @Override
  public CompletableFuture<byte[]> exchange(byte[] query, Duration timeout) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    channel
        .eventLoop()
        .execute(
            () -> {
              if (pending != null || !channel.isActive()) {
                result.completeExceptionally(new IOException("HTTP/1.1 connection not usable"));
                return;
              }
              pending = result;
              timer =
                  channel
                      .eventLoop()
                      .schedule(
                          () -> fail(new SocketTimeoutException("no answer in " + timeout)),
                          timeout.toMillis(),
                          TimeUnit.MILLISECONDS);
              FullHttpRequest request =
                  new DefaultFullHttpRequest(
                      HttpVersion.HTTP_1_1, HttpMethod.POST, path, Unpooled.wrappedBuffer(query));
              request
                  .headers()
                  .set(HttpHeaderNames.HOST, authority)
                  .set(HttpHeaderNames.CONTENT_TYPE, TYPE)
                  .set(HttpHeaderNames.ACCEPT, TYPE)
                  .setInt(HttpHeaderNames.CONTENT_LENGTH, query.length);
              channel
                  .writeAndFlush(request)
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          fail(new IOException("cannot send to " + server, w.cause()));
                        }
                      });
            });
    return result;
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      CompletableFuture<byte[]> p = pending;
      if (p == null || !(msg instanceof FullHttpResponse response)) {
        fail(new IOException("unsolicited HTTP response"));
        return;
      }
      pending = null;
      timer.cancel(false);
      if (!HttpUtil.isKeepAlive(response)) {
        reusable = false;
        ctx.close();
      }
      try {
        p.complete(
            DohSession.checked(
                server, response.status().code(), ByteBufUtil.getBytes(response.content())));
      } catch (IOException e) {
        p.completeExceptionally(e);
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  /** Fails the exchange in flight, if any, and closes the connection. Event loop only. */
  private void fail(Throwable cause) {
    reusable = false;
    CompletableFuture<byte[]> p = pending;
    pending = null;
    if (timer != null) {
      timer.cancel(false);
    }
    channel.close();
    if (p != null) {
      p.completeExceptionally(cause);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(new IOException("connection closed by " + server));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(cause instanceof IOException ? cause : new IOException(cause.toString(), cause));
  }

  @Override
  public void close() {
    channel.close();
  }
}
