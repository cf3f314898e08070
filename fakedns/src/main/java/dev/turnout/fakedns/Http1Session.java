package dev.turnout.fakedns;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
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
import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * DNS over HTTPS on one HTTP/1.1 connection, for servers that do not offer h2: one request at a
 * time ({@link SingleExchange}), the connection kept alive unless the server says {@code
 * Connection: close}. Thread-safe.
 */
final class Http1Session extends SingleExchange implements DohSession {
  private final String server;
  private final String authority;
  private final String path;
  private volatile boolean reusable = true;

  private Http1Session(Channel channel, String server, String authority, String path) {
    super(channel, server);
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
  public CompletableFuture<byte[]> exchange(byte[] query, Duration timeout) {
    return send(
        () -> {
          FullHttpRequest request =
              new DefaultFullHttpRequest(
                  HttpVersion.HTTP_1_1, HttpMethod.POST, path, Unpooled.wrappedBuffer(query));
          request
              .headers()
              .set(HttpHeaderNames.HOST, authority)
              .set(HttpHeaderNames.CONTENT_TYPE, TYPE)
              .set(HttpHeaderNames.ACCEPT, TYPE)
              .setInt(HttpHeaderNames.CONTENT_LENGTH, query.length);
          return request;
        },
        timeout);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (!(msg instanceof FullHttpResponse response)) {
        fail(new IOException("unexpected " + msg.getClass().getSimpleName() + " from " + server));
        return;
      }
      CompletableFuture<byte[]> p = take();
      if (p == null) {
        return;
      }
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

  @Override
  void fail(Throwable cause) {
    reusable = false;
    super.fail(cause);
  }

  @Override
  public boolean isOpen() {
    return reusable && super.isOpen();
  }

  @Override
  public void close() {
    super.close();
  }
}
