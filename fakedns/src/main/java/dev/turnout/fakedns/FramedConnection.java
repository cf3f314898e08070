package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One TCP connection (plain, or TLS for DNS over TLS) carrying 2-byte length-framed DNS messages,
 * one exchange at a time (RFC 7766 framing), on a channel from {@link Connector} (a marked socket,
 * or a connection through an outbound). A timeout, an error or the peer closing fails the exchange
 * in flight and closes the connection. Thread-safe: state is touched on the channel's event loop
 * only.
 */
final class FramedConnection extends ChannelInboundHandlerAdapter {
  private static final int MAX_FRAME = 65535;

  private final Channel channel;
  private CompletableFuture<byte[]> pending; // event loop only
  private ScheduledFuture<?> timer; // event loop only

  private FramedConnection(Channel channel) {
    this.channel = channel;
  }

  /**
   * Starts framing on {@code connected} (from {@link Connector}), through TLS when {@code tls} is
   * not null. Completes once the handlers are in place; the TLS handshake runs with the first
   * exchange. Closes the channel when it fails.
   */
  static CompletableFuture<FramedConnection> over(
      CompletableFuture<Channel> connected, Supplier<SslHandler> tls) {
    return connected.thenCompose(
        ch -> {
          CompletableFuture<FramedConnection> result = new CompletableFuture<>();
          ch.eventLoop()
              .execute(
                  () -> {
                    try {
                      if (tls != null) {
                        ch.pipeline().addLast(tls.get());
                      }
                      ch.pipeline()
                          .addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME + 2, 0, 2, 0, 2));
                      FramedConnection connection = new FramedConnection(ch);
                      ch.pipeline().addLast(connection);
                      ch.config().setAutoRead(true);
                      result.complete(connection);
                    } catch (RuntimeException e) {
                      ch.close();
                      result.completeExceptionally(e);
                    }
                  });
          return result;
        });
  }

  boolean isOpen() {
    return channel.isActive();
  }

  /** Sends {@code query} and completes with the next frame; fails if another is in flight. */
  CompletableFuture<byte[]> exchange(byte[] query, Duration timeout) {
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
                result.completeExceptionally(new IOException("connection closed"));
                return;
              }
              pending = result;
              timer =
                  channel
                      .eventLoop()
                      .schedule(
                          () -> fail(new SocketTimeoutException("no TCP answer in " + timeout)),
                          timeout.toMillis(),
                          TimeUnit.MILLISECONDS);
              ByteBuf frame = Unpooled.buffer(2 + query.length);
              frame.writeShort(query.length).writeBytes(query);
              channel
                  .writeAndFlush(frame)
                  .addListener(
                      w -> {
                        if (!w.isSuccess()) {
                          fail(new IOException("cannot send a TCP DNS query", w.cause()));
                        }
                      });
            });
    return result;
  }

  /** Fails the exchange in flight, if any, and closes the connection. Event loop only. */
  private void fail(Throwable cause) {
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
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      CompletableFuture<byte[]> p = pending;
      if (p == null) {
        fail(new IOException("unsolicited DNS message")); // nothing asked: the stream is off
        return;
      }
      pending = null;
      timer.cancel(false);
      p.complete(ByteBufUtil.getBytes((ByteBuf) msg));
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(new IOException("connection closed by the server"));
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    Throwable c =
        cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
            ? cause.getCause()
            : cause;
    fail(c instanceof IOException ? c : new IOException(c.toString(), c));
  }
}
