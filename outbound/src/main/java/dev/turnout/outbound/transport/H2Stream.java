package dev.turnout.outbound.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http2.DefaultHttp2DataFrame;
import io.netty.handler.codec.http2.DefaultHttp2HeadersFrame;
import io.netty.handler.codec.http2.DefaultHttp2WindowUpdateFrame;
import io.netty.handler.codec.http2.Http2ChannelDuplexHandler;
import io.netty.handler.codec.http2.Http2DataFrame;
import io.netty.handler.codec.http2.Http2Error;
import io.netty.handler.codec.http2.Http2Exception;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameStream;
import io.netty.handler.codec.http2.Http2GoAwayFrame;
import io.netty.handler.codec.http2.Http2Headers;
import io.netty.handler.codec.http2.Http2HeadersFrame;
import io.netty.handler.codec.http2.Http2ResetFrame;
import io.netty.handler.codec.http2.Http2StreamFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries a connection's bytes on one HTTP/2 stream behind Netty's {@link Http2FrameCodec}: opens
 * the stream with {@code headers} when added, writes each chunk as a DATA frame, passes the payload
 * of the stream's DATA frames up and returns their flow-control credit as they pass. A response
 * status other than 200, a non-zero {@code grpc-status}, a reset or GOAWAY ends the connection with
 * a log line; the end of the server's stream becomes one {@link ChannelInputShutdownEvent}. Frames
 * of other streams are dropped. One per connection; runs on its event loop.
 */
final class H2Stream extends Http2ChannelDuplexHandler {
  private static final Logger LOG = LoggerFactory.getLogger(H2Stream.class);

  private final Http2FrameCodec codec;
  private final Http2Headers headers;
  private final int window;
  private final Promise<Void> ready;
  private Http2FrameStream stream;
  private boolean ended;
  private boolean credit;

  H2Stream(Http2FrameCodec codec, Http2Headers headers, int window, Promise<Void> ready) {
    this.codec = codec;
    this.headers = headers;
    this.window = window;
    this.ready = ready;
  }

  @Override
  protected void handlerAdded0(ChannelHandlerContext ctx) {
    try {
      // The connection window starts at 64 KiB whatever the settings say; widen it once.
      codec
          .connection()
          .local()
          .flowController()
          .incrementWindowSize(codec.connection().connectionStream(), window - 65_535);
    } catch (Http2Exception e) {
      ready.tryFailure(e);
      return;
    }
    stream = newStream();
    ctx.writeAndFlush(new DefaultHttp2HeadersFrame(headers, false).stream(stream))
        .addListener(
            f -> {
              if (f.isSuccess()) {
                ready.trySuccess(null);
              } else {
                ready.tryFailure(new IOException("HTTP/2 request failed: " + f.cause(), f.cause()));
              }
            });
  }

  @Override
  public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
    if (msg instanceof ByteBuf buf && stream != null) {
      ctx.write(new DefaultHttp2DataFrame(buf, false).stream(stream), promise);
    } else {
      ctx.write(msg, promise);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      if (msg instanceof Http2StreamFrame f && f.stream() != null && f.stream() != stream) {
        return;
      }
      if (msg instanceof Http2DataFrame data) {
        int bytes = data.initialFlowControlledBytes();
        if (bytes > 0) {
          ctx.write(new DefaultHttp2WindowUpdateFrame(bytes).stream(stream));
          credit = true;
        }
        if (data.content().isReadable() && !ended) {
          ctx.fireChannelRead(data.content().retain());
        }
        if (data.isEndStream()) {
          end(ctx);
        }
      } else if (msg instanceof Http2HeadersFrame h) {
        headers(ctx, h);
      } else if (msg instanceof Http2ResetFrame reset) {
        LOG.debug("{}: server reset the HTTP/2 stream: {}", ctx.channel(), reset.errorCode());
        ctx.close();
      } else if (msg instanceof Http2GoAwayFrame goAway) {
        if (goAway.lastStreamId() < stream.id()
            || goAway.errorCode() != Http2Error.NO_ERROR.code()) {
          LOG.debug("{}: server sent GOAWAY {}", ctx.channel(), goAway.errorCode());
          ctx.close();
        }
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  private void headers(ChannelHandlerContext ctx, Http2HeadersFrame h) {
    CharSequence status = h.headers().status();
    if (status != null && !"200".contentEquals(status)) {
      LOG.warn("{}: HTTP/2 request refused with status {}; closing", ctx.channel(), status);
      ctx.close();
      return;
    }
    CharSequence grpcStatus = h.headers().get("grpc-status");
    if (grpcStatus != null && !"0".contentEquals(grpcStatus)) {
      LOG.warn(
          "{}: gRPC stream ended with status {} {}; closing",
          ctx.channel(),
          grpcStatus,
          h.headers().get("grpc-message"));
      ctx.close();
      return;
    }
    if (h.isEndStream()) {
      end(ctx);
    }
  }

  private void end(ChannelHandlerContext ctx) {
    if (!ended) {
      ended = true;
      ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    if (credit) {
      credit = false;
      ctx.flush();
    }
    ctx.fireChannelReadComplete();
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      end(ctx); // TCP (or TLS) ended under the stream
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    if (!ready.tryFailure(cause)) {
      LOG.debug("{}: HTTP/2 error: {}", ctx.channel(), cause.toString());
    }
    ctx.close();
  }
}
