package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * Test helpers: one event loop for the socket tests, dialers that stay on loopback, a tail handler
 * that collects a stream, and what an EmbeddedChannel wrote.
 */
public final class Channels {
  /** Where the socket tests connect to through their proxies. */
  public static final Destination TARGET = new Destination("example.org", null, 443);

  private static final EventLoopGroup LOOPS =
      new MultiThreadIoEventLoopGroup(
          1, new DefaultThreadFactory("outbound-test", true), EpollIoHandler.newFactory());

  private Channels() {}

  /** The event loop of this module's socket tests, shared by all classes; a daemon thread. */
  public static EventLoop loop() {
    return LOOPS.next();
  }

  /** Connects through {@code o} to {@link #TARGET}, waiting at most five seconds. */
  public static Channel connect(Outbound o) throws Exception {
    return o.connect(TARGET, loop()).get(5, TimeUnit.SECONDS);
  }

  /** Everything {@code ch} wrote since the last call, as hex; releases it. */
  public static String sentHex(EmbeddedChannel ch) {
    StringBuilder s = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      s.append(ByteBufUtil.hexDump(b));
      b.release();
    }
    return s.toString();
  }

  /** A dialer that never resolves names and refuses every address outside loopback. */
  public static Dialer loopbackDialer() {
    return new Dialer(
        host -> CompletableFuture.failedFuture(new java.io.IOException("no resolver in tests")),
        a -> !a.isLoopbackAddress(),
        0,
        null,
        5_000);
  }

  /** A dialer for namespace tests: only loopback and the test subnet may be dialed. */
  public static Dialer testNetDialer() {
    return new Dialer(
        host -> CompletableFuture.failedFuture(new java.io.IOException("no resolver in tests")),
        a -> !(a.isLoopbackAddress() || inTestNet(a)),
        0,
        null,
        5_000);
  }

  static boolean inTestNet(InetAddress a) {
    byte[] b = a.getAddress();
    return b.length == 4 && (b[0] & 0xff) == 198 && (b[1] & 0xff) == 51 && (b[2] & 0xff) == 100;
  }

  /** Adds a tail handler reading everything until end of input; completes with the bytes. */
  public static CompletionStage<byte[]> readAll(Channel ch) {
    CompletableFuture<byte[]> result = new CompletableFuture<>();
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    ch.pipeline()
        .addLast(
            new ChannelInboundHandlerAdapter() {
              @Override
              public void handlerAdded(ChannelHandlerContext ctx) {
                ctx.read();
              }

              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                if (msg instanceof ByteBuf b) {
                  byte[] a = new byte[b.readableBytes()];
                  b.readBytes(a);
                  bytes.writeBytes(a);
                }
                ReferenceCountUtil.release(msg);
              }

              @Override
              public void channelReadComplete(ChannelHandlerContext ctx) {
                if (!result.isDone()
                    && !((io.netty.channel.socket.DuplexChannel) ctx.channel()).isInputShutdown()) {
                  ctx.read();
                }
              }

              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                if (evt instanceof ChannelInputShutdownEvent) {
                  result.complete(bytes.toByteArray());
                }
              }

              @Override
              public void channelInactive(ChannelHandlerContext ctx) {
                result.complete(bytes.toByteArray());
              }

              @Override
              public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                result.completeExceptionally(cause);
              }
            });
    return result;
  }
}
