package dev.turnout.outbound.fetch;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.tls.Tls;
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
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.nio.channels.ClosedChannelException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Downloads lists (rule providers, subscriptions) over HTTP/1.1 through an {@link Outbound}:
 * DIRECT, whose sockets come from Turnout's dialer (they carry the routing mark, so with auto-route
 * they never loop into the TUN, and names are resolved through the configured upstreams, never the
 * system resolver), or a proxy. TLS for https with the JDK's trust store and the host name checked;
 * redirects followed, except from https to http (the list would then arrive unprotected after all)
 * and from another host to this one (DIRECT reaches this host only for the URL the configuration
 * names, not for wherever a server redirects); conditional GETs with ETag and Last-Modified. Blocks
 * the calling thread, which must not be an event loop. Thread-safe.
 */
public final class HttpFetcher {
  /** Bodies larger than this are refused. */
  public static final int MAX_BODY = 64 * 1024 * 1024;

  /** Sent unless the request's headers name another, as Clash clients do. */
  public static final String USER_AGENT = "clash.meta (turnout)";

  private static final int MAX_REDIRECTS = 5;
  private static final long TIMEOUT_SECONDS = 30;

  /** A downloaded body and the validators for the next conditional GET (each may be null). */
  public record Response(byte[] body, String etag, String lastModified) {}

  private final EventLoopGroup loops;
  private final Function<String, Tls> tls;

  public HttpFetcher(EventLoopGroup loops) {
    this(loops, host -> new Tls(host, false));
  }

  /** With the TLS of each host given (tests pin their own server's certificate). */
  HttpFetcher(EventLoopGroup loops, Function<String, Tls> tls) {
    this.loops = loops;
    this.tls = tls;
  }

  /**
   * GETs {@code url} through {@code via}, conditionally when {@code etag} or {@code lastModified}
   * is not null, with {@code headers} added (each name with its values).
   *
   * @return the body, or null when the server answered 304 Not Modified
   * @throws IOException on any failure, including a status other than 200 and 304
   */
  public Response get(
      URI url, Outbound via, Map<String, List<String>> headers, String etag, String lastModified)
      throws IOException {
    URI current = url;
    for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
      // The configured URL may be on this host; a redirect elsewhere may not lead back to it.
      Predicate<InetAddress> local =
          hop == 0 || sameHost(url, current) ? Destination.ANY_LOCAL : Destination.NO_LOCAL;
      FullHttpResponse response =
          exchange(current, via, request(current, headers, etag, lastModified), local);
      try {
        int status = response.status().code();
        if (status == 304) {
          return null;
        }
        if (status == 200) {
          return new Response(
              ByteBufUtil.getBytes(response.content()),
              response.headers().get(HttpHeaderNames.ETAG),
              response.headers().get(HttpHeaderNames.LAST_MODIFIED));
        }
        String location = response.headers().get(HttpHeaderNames.LOCATION);
        if (status / 100 == 3 && location != null) {
          URI next = current.resolve(location);
          if (weaker(current, next)) {
            throw new IOException(
                "refusing a redirect from "
                    + current
                    + " to "
                    + next
                    + ": https to "
                    + next.getScheme()
                    + " would deliver the list unprotected"
                    + (current.equals(url) ? "" : " (configured: " + url + ")"));
          }
          current = next;
          continue;
        }
        throw new IOException("HTTP " + status + " from " + current);
      } finally {
        response.release();
      }
    }
    throw new IOException("more than " + MAX_REDIRECTS + " redirects from " + url);
  }

  /** A redirect away from https to anything else (http, or a scheme not fetched at all). */
  private static boolean weaker(URI from, URI to) {
    return "https".equalsIgnoreCase(from.getScheme()) && !"https".equalsIgnoreCase(to.getScheme());
  }

  private static boolean sameHost(URI a, URI b) {
    return a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost());
  }

  private FullHttpResponse exchange(
      URI url, Outbound via, FullHttpRequest request, Predicate<InetAddress> local)
      throws IOException {
    boolean https = "https".equalsIgnoreCase(url.getScheme());
    if (!https && !"http".equalsIgnoreCase(url.getScheme()) || url.getHost() == null) {
      request.release();
      throw new IOException("only http and https URLs can be downloaded: " + url);
    }
    String host = url.getHost();
    int port = url.getPort() != -1 ? url.getPort() : https ? 443 : 80;
    EventLoop loop = loops.next();
    Destination destination = new Destination(host, IpLiterals.parseHostOrNull(host), port, local);
    Channel channel;
    try {
      channel = await(via.connect(destination, loop), url);
    } catch (IOException e) {
      request.release();
      throw e;
    }
    CompletableFuture<FullHttpResponse> response = new CompletableFuture<>();
    try {
      loop.execute(
          () -> {
            if (https) {
              channel.pipeline().addLast(tls.apply(host).newHandler(channel.alloc(), port));
            }
            channel
                .pipeline()
                .addLast(
                    new HttpClientCodec(), new HttpObjectAggregator(MAX_BODY), answer(response));
            channel.config().setAutoRead(true);
            channel.writeAndFlush(request);
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

  /** The GET for {@code url}: Host, a Clash User-Agent unless given, validators, then headers. */
  static FullHttpRequest request(
      URI url, Map<String, List<String>> headers, String etag, String lastModified) {
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
    request.headers().set(HttpHeaderNames.USER_AGENT, USER_AGENT);
    request.headers().set(HttpHeaderNames.CONNECTION, "close");
    if (etag != null) {
      request.headers().set(HttpHeaderNames.IF_NONE_MATCH, etag);
    }
    if (lastModified != null) {
      request.headers().set(HttpHeaderNames.IF_MODIFIED_SINCE, lastModified);
    }
    headers.forEach((name, values) -> request.headers().set(name, values));
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
      future.cancel(false);
      throw new IOException("connect for " + url + ": timed out");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
