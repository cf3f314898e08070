package dev.turnout.outbound.group;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.tls.Tls;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The health check: connects to the URL's host through the member, sends a GET (over TLS for
 * https), and succeeds when an HTTP status line comes back, any status. The delay is from starting
 * the connect to the status line. Everything is bounded by the timeout; the channel is closed
 * either way. Thread-safe; each probe runs on the next loop of the group it was given.
 */
public final class HttpProber implements Prober {
  private final EventLoopGroup loops;

  public HttpProber(EventLoopGroup loops) {
    this.loops = loops;
  }

  @Override
  public CompletionStage<Duration> probe(Outbound member, URI url, Duration timeout) {
    return probe(member, url, timeout, ExpectedStatus.ANY);
  }

  @Override
  public CompletionStage<Duration> probe(
      Outbound member, URI url, Duration timeout, ExpectedStatus expected) {
    CompletableFuture<Duration> result = new CompletableFuture<>();
    EventLoop loop = loops.next();
    boolean https = "https".equalsIgnoreCase(url.getScheme());
    int port = url.getPort() > 0 ? url.getPort() : https ? 443 : 80;
    String host = url.getHost();
    long started = System.nanoTime();
    ScheduledFuture<?> timer =
        loop.schedule(
            () -> result.completeExceptionally(new TimeoutException("no answer within " + timeout)),
            timeout.toMillis(),
            TimeUnit.MILLISECONDS);
    result.whenComplete((d, e) -> timer.cancel(false));
    // The configuration names the URL: DIRECT may check it even on this host.
    Destination destination =
        new Destination(host, IpLiterals.parseHostOrNull(host), port, Destination.ANY_LOCAL);
    member
        .connect(destination, loop)
        .addListener(
            f -> {
              if (!f.isSuccess()) {
                result.completeExceptionally(f.cause());
                return;
              }
              Channel ch = (Channel) f.getNow();
              result.whenComplete((d, e) -> ch.close());
              if (result.isDone()) {
                return;
              }
              if (https) {
                ch.pipeline().addLast(new Tls(host, false).newHandler(ch.alloc(), port));
              }
              String path =
                  url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
              if (url.getRawQuery() != null) {
                path += "?" + url.getRawQuery();
              }
              String request =
                  "GET "
                      + path
                      + " HTTP/1.1\r\nHost: "
                      + url.getRawAuthority()
                      + "\r\nUser-Agent: turnout-health-check\r\nConnection: close\r\n\r\n";
              ch.pipeline().addLast(new StatusLine(result, started, expected));
              ch.writeAndFlush(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
              ch.read();
            });
    return result;
  }

  /** Waits for "HTTP/1.x NNN". */
  private static final class StatusLine extends ChannelInboundHandlerAdapter {
    private final CompletableFuture<Duration> result;
    private final long started;
    private final ExpectedStatus expected;
    private final StringBuilder line = new StringBuilder();

    StatusLine(CompletableFuture<Duration> result, long started, ExpectedStatus expected) {
      this.result = result;
      this.started = started;
      this.expected = expected;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      try {
        if (msg instanceof ByteBuf buf) {
          while (buf.isReadable() && line.length() < 12) {
            line.append((char) buf.readByte());
          }
          if (line.length() >= 12) {
            if (!line.toString().matches("HTTP/1\\.[01] [1-5][0-9][0-9]")) {
              result.completeExceptionally(new IOException("not an HTTP answer: " + line));
            } else if (expected.test(Integer.parseInt(line.substring(9, 12)))) {
              result.complete(Duration.ofNanos(System.nanoTime() - started));
            } else {
              result.completeExceptionally(
                  new IOException("status " + line.substring(9, 12) + ", expected " + expected));
            }
          }
        }
      } finally {
        ReferenceCountUtil.release(msg);
      }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (!result.isDone()) {
        ctx.read();
      }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      result.completeExceptionally(new IOException("closed before an HTTP answer"));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof io.netty.channel.socket.ChannelInputShutdownEvent) {
        result.completeExceptionally(new IOException("closed before an HTTP answer"));
      } else if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent e
          && !e.isSuccess()) {
        result.completeExceptionally(e.cause());
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      result.completeExceptionally(cause);
    }
  }
}
