package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2Headers;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * DNS over HTTPS on one HTTP/2 connection (Netty's frame codec and multiplexer): each query is a
 * stream of its own, so queries run at once on one connection. A GOAWAY from the server, or the
 * connection closing, stops new streams; streams already open finish or fail. Server pushes are
 * refused by the codec's defaults. Thread-safe: state lives on the connection's event loop, except
 * the volatile open flag.
 */
final class Http2Session implements DohSession {
  private final Channel parent;
  private final String server;
  private final Http2Headers template;
  private volatile boolean goingAway;

  private Http2Session(Channel parent, String server, String authority, String path) {
    this.parent = parent;
    this.server = server;
    this.template =
        new DefaultHttp2Headers()
            .method("POST")
            .scheme("https")
            .authority(authority)
            .path(path)
            .set("content-type", TYPE)
            .set("accept", TYPE);
  }

  /** Starts HTTP/2 on {@code parent}, TLS done and h2 negotiated. Event loop only. */
  static Http2Session start(Channel parent, String server, String authority, String path) {
    Http2Session session = new Http2Session(parent, server, authority, path);
    parent
        .pipeline()
        .addLast(
            Http2FrameCodecBuilder.forClient().build(),
            new Http2MultiplexHandler(new ChannelInboundHandlerAdapter()),
            session.new ConnectionEvents());
    return session;
  }

  @Override
  public boolean multiplexes() {
    return true;
  }

  @Override
  public boolean isOpen() {
    return !goingAway && parent.isActive();
  }

  @Override
  public CompletableFuture<byte[]> exchange(byte[] query, Duration timeout) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    Stream handler = new Stream(result);
    new Http2StreamChannelBootstrap(parent)
        .handler(handler)
        .open()
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                result.completeExceptionally(
                    new IOException("cannot open an HTTP/2 stream to " + server, f.cause()));
                return;
              }
              Http2StreamChannel stream = (Http2StreamChannel) f.getNow();
              handler.timer =
                  stream
                      .eventLoop()
                      .schedule(
                          () -> handler.fail(new SocketTimeoutException("no answer in " + timeout)),
                          timeout.toMillis(),
                          TimeUnit.MILLISECONDS);
              Http2Headers headers = new DefaultHttp2Headers().add(template);
              headers.setInt("content-length", query.length);
              stream.write(new DefaultHttp2HeadersFrame(headers, false));
              stream
                  .writeAndFlush(new DefaultHttp2DataFrame(Unpooled.wrappedBuffer(query), true))
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          handler.fail(new IOException("cannot send to " + server, w.cause()));
                        }
                      });
            });
    return result;
  }

  @Override
  public void close() {
    parent.close();
  }

  /** One query's stream: the status, then the body, until the end of the stream. */
  private final class Stream extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<byte[]> result;
    private final ByteArrayOutputStream body = new ByteArrayOutputStream();
    private ChannelHandlerContext ctx;
    private ScheduledFuture<?> timer;
    private int status = -1;

    Stream(CompletableFuture<byte[]> result) {
      this.result = result;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        boolean end = false;
        if (msg instanceof Http2HeadersFrame headers) {
          if (status < 0 && headers.headers().status() != null) {
            status = parseStatus(headers.headers().status());
          }
          end = headers.isEndStream();
        } else if (msg instanceof Http2DataFrame data) {
          ByteBuf content = data.content();
          if (body.size() + content.readableBytes() > MAX_ANSWER) {
            fail(new IOException(server + " sent a body longer than a DNS message"));
            return;
          }
          content.readBytes(body, content.readableBytes());
          end = data.isEndStream();
        }
        if (end) {
          finish();
        }
      } catch (IOException e) {
        fail(e);
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    private void finish() {
      try {
        byte[] answer = DohSession.checked(server, status, body.toByteArray());
        cancelTimer();
        result.complete(answer);
      } catch (IOException e) {
        fail(e);
      }
      ctx.close();
    }

    private int parseStatus(CharSequence text) {
      try {
        return Integer.parseInt(text.toString());
      } catch (NumberFormatException e) {
        return 0;
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      fail(new IOException("the HTTP/2 stream to " + server + " closed without an answer"));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      fail(cause instanceof IOException io ? io : new IOException(cause.toString(), cause));
    }

    void fail(Throwable cause) {
      cancelTimer();
      if (result.completeExceptionally(cause) && ctx != null) {
        ctx.close(); // resets the stream
      }
    }

    private void cancelTimer() {
      if (timer != null) {
        timer.cancel(false);
      }
    }
  }

  /** What reaches the connection itself: GOAWAY stops new streams; other frames are dropped. */
  private final class ConnectionEvents extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (msg instanceof Http2GoAwayFrame) {
        goingAway = true;
      }
      ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      goingAway = true;
      ctx.close();
    }
  }
}
