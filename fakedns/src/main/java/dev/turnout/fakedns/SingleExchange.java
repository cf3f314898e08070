package dev.turnout.fakedns;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * The end of a pipeline that carries one exchange at a time: {@link #send} writes a request and the
 * subclass hands the answer to {@link #take}'s future. A timeout, a write error, an exception or
 * the peer closing fails the exchange in flight and closes the connection. Thread-safe: state is
 * touched on the channel's event loop only.
 */
abstract class SingleExchange extends ChannelInboundHandlerAdapter {
  final Channel channel;
  private final String peer;
  private CompletableFuture<byte[]> pending; // event loop only
  private ScheduledFuture<?> timer; // event loop only

  SingleExchange(Channel channel, String peer) {
    this.channel = channel;
    this.peer = peer;
  }

  boolean isOpen() {
    return channel.isActive();
  }

  /**
   * Writes {@code request} (made on the event loop, so nothing leaks when the connection is
   * unusable) and completes with the answer; fails at once when another exchange is in flight.
   */
  final CompletableFuture<byte[]> send(Supplier<Object> request, Duration timeout) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    channel
        .eventLoop()
        .execute(
            () -> {
              if (pending != null) {
                result.completeExceptionally(new IllegalStateException("exchange in flight"));
                return;
              }
              if (!channel.isActive()) {
                result.completeExceptionally(new IOException("connection to " + peer + " closed"));
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
              channel
                  .writeAndFlush(request.get())
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          fail(new IOException("cannot send to " + peer, w.cause()));
                        }
                      });
            });
    return result;
  }

  /**
   * The exchange in flight, its timer stopped, for the subclass to complete; null (and the
   * connection failed: the stream is off) when nothing was asked. Event loop only.
   */
  final CompletableFuture<byte[]> take() {
    CompletableFuture<byte[]> p = pending;
    if (p == null) {
      fail(new IOException("unsolicited message from " + peer));
      return null;
    }
    pending = null;
    timer.cancel(false);
    return p;
  }

  /** Fails the exchange in flight, if any, and closes the connection. Event loop only. */
  void fail(Throwable cause) {
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

  void close() {
    channel.close();
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(new IOException("connection closed by " + peer));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable c =
        cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
    fail(c instanceof IOException ? c : new IOException(c.toString(), c));
  }
}
