package dev.turnout.outbound.transport;

import dev.turnout.outbound.HeldInbound;
import dev.turnout.outbound.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Map;

/**
 * WebSocket as a {@link Transport} (Clash {@code network: ws}): an HTTP/1.1 upgrade to {@code path}
 * with the {@code Host} and other headers of {@code ws-opts}, then every chunk of the stream is one
 * binary frame. Open once the server answered 101; any other answer fails the open with its status
 * line. Frames are bounded by {@value #MAX_FRAME} bytes. Thread-safe.
 */
final class WsTransport implements Transport {
  static final int MAX_FRAME = 1 << 20;
  private static final int MAX_HEAD = 16 * 1024;

  private final URI uri;
  private final HttpHeaders headers;

  /**
   * @param host the Host header (and the authority of the request)
   * @param path the request target, {@code /} when empty, a query string allowed
   */
  WsTransport(String host, int port, String path, Map<String, String> headers, boolean tls) {
    try {
      String target = path == null || path.isEmpty() ? "/" : path;
      this.uri = new URI((tls ? "wss://" : "ws://") + authority(host, port) + target);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("not a usable WebSocket path: " + path, e);
    }
    this.headers = new DefaultHttpHeaders();
    headers.forEach(this.headers::set);
  }

  private static String authority(String host, int port) {
    String h = host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    return h + ":" + port;
  }

  URI uri() {
    return uri;
  }

  @Override
  public Future<Void> open(Channel ch) {
    return Transport.onLoop(ch, this::start);
  }

  private void start(Channel ch, Promise<Void> ready) {
    WebSocketClientHandshaker handshaker =
        WebSocketClientHandshakerFactory.newHandshaker(
            uri, WebSocketVersion.V13, null, false, headers.copy(), MAX_FRAME);
    HeldInbound.addBefore(ch, new HttpClientCodec());
    HeldInbound.addBefore(ch, new HttpObjectAggregator(MAX_HEAD));
    HeldInbound.addBefore(ch, new Upgrade(handshaker, ready));
    handshaker
        .handshake(ch)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                ch.pipeline().context(HttpClientCodec.class).read();
              } else {
                ready.tryFailure(f.cause());
              }
            });
  }

  /** Waits for the 101 reply, lets the handshaker swap in the frame codecs, then leaves. */
  private static final class Upgrade extends ChannelInboundHandlerAdapter {
    private final WebSocketClientHandshaker handshaker;
    private final Promise<Void> ready;

    Upgrade(WebSocketClientHandshaker handshaker, Promise<Void> ready) {
      this.handshaker = handshaker;
      this.ready = ready;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof FullHttpResponse response)) {
        ctx.fireChannelRead(msg);
        return;
      }
      try {
        if (!response.decoderResult().isSuccess()) {
          fail(ctx, "malformed WebSocket upgrade reply");
          return;
        }
        try {
          handshaker.finishHandshake(ctx.channel(), response);
        } catch (RuntimeException e) {
          fail(ctx, "WebSocket upgrade refused: HTTP " + response.status());
          return;
        }
        ctx.pipeline().replace(this, null, new WsFrames());
        ready.trySuccess(null);
      } finally {
        ReferenceCountUtil.release(response);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (!ready.isDone()) {
        ctx.read();
      }
      ctx.fireChannelReadComplete();
    }

    private void fail(ChannelHandlerContext ctx, String why) {
      ready.tryFailure(new IOException(why));
      ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (ready.tryFailure(new IOException("WebSocket upgrade failed: " + cause, cause))) {
        ctx.close();
      } else {
        ctx.fireExceptionCaught(cause);
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      ready.tryFailure(
          new IOException("server closed the connection during the WebSocket upgrade"));
      ctx.fireChannelInactive();
    }
  }
}
