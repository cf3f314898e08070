package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;

/**
 * One TCP connection (plain, or TLS for DNS over TLS) carrying 2-byte length-framed DNS messages,
 * one exchange at a time (RFC 7766 framing). The socket comes from {@link MarkedChannels}, so it
 * carries {@code SO_MARK} from before its SYN. A timeout, an error or the peer closing fails the
 * exchange in flight and closes the connection. Thread-safe: state is touched on the channel's
 * event loop only.
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
   * Connects to {@code remote} (from {@code local} if not null), through TLS when {@code ssl} is
   * not null: the server's certificate must then be valid for its IP address.
   */
  static CompletableFuture<FramedConnection> connect(
      MarkedChannels channels,
      InetSocketAddress remote,
      InetSocketAddress local,
      SSLContext ssl,
      Duration timeout) {
    FramedConnection[] made = new FramedConnection[1];
    ChannelInitializer<Channel> init =
        new ChannelInitializer<>() {
          @Override
          protected void initChannel(Channel ch) {
            if (ssl != null) {
              String host = remote.getAddress().getHostAddress();
              SSLEngine engine = ssl.createSSLEngine(host, remote.getPort());
              engine.setUseClientMode(true);
              SSLParameters params = engine.getSSLParameters();
              params.setEndpointIdentificationAlgorithm(
                  "HTTPS"); // the certificate must name the IP
              engine.setSSLParameters(params);
              SslHandler handler = new SslHandler(engine);
              handler.setHandshakeTimeoutMillis(timeout.toMillis());
              ch.pipeline().addLast(handler);
            }
            ch.pipeline().addLast(new LengthFieldBasedFrameDecoder(MAX_FRAME + 2, 0, 2, 0, 2));
            made[0] = new FramedConnection(ch);
            ch.pipeline().addLast(made[0]);
          }
        };
    CompletableFuture<FramedConnection> result = new CompletableFuture<>();
    channels
        .open(EpollSocketChannel.class, init)
        .whenComplete(
            (ch, error) -> {
              if (error != null) {
                result.completeExceptionally(error);
                return;
              }
              ch.config()
                  .setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
              (local == null ? ch.connect(remote) : ch.connect(remote, local))
                  .addListener(
                      f -> {
                        if (f.isSuccess()) {
                          result.complete(made[0]);
                        } else {
                          ch.close();
                          result.completeExceptionally(
                              new IOException("cannot connect to " + remote, f.cause()));
                        }
                      });
            });
    return result;
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
