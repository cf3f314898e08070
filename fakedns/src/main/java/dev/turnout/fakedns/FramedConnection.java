package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One TCP connection (plain, or TLS for DNS over TLS) carrying 2-byte length-framed DNS messages,
 * one exchange at a time (RFC 7766 framing), on a channel from {@link Connector} (a marked socket,
 * or a connection through an outbound). A timeout, an error or the peer closing fails the exchange
 * in flight and closes the connection. Thread-safe: state is touched on the channel's event loop
 * only.
 */
final class FramedConnection extends SingleExchange {
  private static final int MAX_FRAME = 65535;

  private FramedConnection(Channel channel) {
    super(channel, String.valueOf(channel.remoteAddress()));
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

  /** Sends {@code query} and completes with the next frame; fails if another is in flight. */
  CompletableFuture<byte[]> exchange(byte[] query, Duration timeout) {
    return send(
        () -> Unpooled.buffer(2 + query.length).writeShort(query.length).writeBytes(query),
        timeout);
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    try {
      CompletableFuture<byte[]> p = take();
      if (p != null) {
        p.complete(ByteBufUtil.getBytes((ByteBuf) msg));
      }
    } finally {
      ReferenceCountUtil.release(msg);
    }
  }
}
