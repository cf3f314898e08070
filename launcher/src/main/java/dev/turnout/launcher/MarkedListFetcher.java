package dev.turnout.launcher;

import dev.turnout.outbound.Dialer;
import dev.turnout.rules.ListFetcher;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Downloads rule-provider lists through Turnout's own {@link Dialer}, so the sockets carry the
 * routing mark (with auto-route, unmarked downloads would enter the TUN) and names are resolved
 * through the configured upstreams, never the system resolver. HTTP/1.1 with TLS for https,
 * certificates checked against the JDK's trust store, redirects followed.
 */
final class MarkedListFetcher implements ListFetcher {
  private static final int MAX_BODY = 64 * 1024 * 1024;
  private static final int MAX_REDIRECTS = 5;
  private static final long TIMEOUT_SECONDS = 30;

  private final Dialer dialer;
  private final EventLoopGroup loops;
  private final SslContext tls;

  MarkedListFetcher(Dialer dialer, EventLoopGroup loops) throws SSLException {
    this.dialer = dialer;
    this.loops = loops;
    this.tls = SslContextBuilder.forClient().build();
  }

  @Override
  public Fetched fetch(URI url, String etag, String lastModified) throws IOException {
    URI current = url;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      FullHttpResponse response = get(current, etag, lastModified);
      try {
        int status = response.status().code();
        if (status == 304) {
          return null;
        }
        if (status == 200) {
          return new Fetched(
              ByteBufUtil.getBytes(response.content()),
              response.headers().get(HttpHeaderNames.ETAG),
              response.headers().get(HttpHeaderNames.LAST_MODIFIED));
        }
        String location = response.headers().get(HttpHeaderNames.LOCATION);
        if (status / 100 == 3 && location != null) {
          current = current.resolve(location);
          continue;
        }
        throw new IOException("HTTP " + status + " from " + current);
      } finally {
        response.release();
      }
    }
    throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + url);
  }

  private FullHttpResponse get(URI url, String etag, String lastModified) throws IOException {
    boolean https = "https".equalsIgnoreCase(url.getScheme());
    if (!https && !"http".equalsIgnoreCase(url.getScheme())) {
      throw new IOException("only http and https lists can be downloaded: " + url);
    }
    String host = url.getHost();
    int port = url.getPort() != -1 ? url.getPort() : https ? 443 : 80;
    EventLoop loop = loops.next();
    Channel channel = await(dialer.dial(host, null, port, loop), url);
    CompletableFuture<FullHttpResponse> response = new CompletableFuture<>();
    try {
      loop.execute(
          () -> {
            if (https) {
              channel.pipeline().addLast(tls.newHandler(channel.alloc(), host, port));
            }
            channel
                .pipeline()
                .addLast(
                    new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY), answer(response));
            channel.config().setAutoRead(true);
            channel.writeAndFlush(request(url, etag, lastModified));
          });
      return response.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("GET " + url + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("GET " + url + ": no answer within " + TIMEOUT_SECONDS + " s");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      channel.close();
    }
  }

  private static FullHttpRequest request(URI url, String etag, String lastModified) {
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    if (url.getRawQuery() != null) {
      path += "?" + url.getRawQuery();
    }
    FullHttpRequest request =
        new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, path);
    request
        .headers()
        .set(
            HttpHeaderNames.HOST,
            url.getPort() == -1 ? url.getHost() : url.getHost() + ":" + url.getPort());
    request.headers().set(HttpHeaderNames.USER_AGENT, "turnout");
    request.headers().set(HttpHeaderNames.CONNECTION, "close");
    if (etag != null) {
      request.headers().set(HttpHeaderNames.IF_NONE_MATCH, etag);
    }
    if (lastModified != null) {
      request.headers().set(HttpHeaderNames.IF_MODIFIED_SINCE, lastModified);
    }
    return request;
  }

  private static SimpleChannelInboundHandler<FullHttpResponse> answer(
      CompletableFuture<FullHttpResponse> response) {
    return new SimpleChannelInboundHandler<>(false) {
      @Override
      protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
        if (!response.complete(msg)) {
          msg.release();
        }
      }

      @Override
      public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        response.completeExceptionally(cause);
        ctx.close();
      }

      @Override
      public void channelInactive(ChannelHandlerContext ctx) {
        response.completeExceptionally(new ClosedChannelException());
      }
    };
  }

  private static <T> T await(io.netty.util.concurrent.Future<T> future, URI url)
      throws IOException {
    try {
      return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IOException("connect for " + url + ": " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      throw new IOException("connect for " + url + ": timed out");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
