package dev.turnout.outbound;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Test helpers: dialers that stay on loopback, and a tail handler that collects a stream. */
public final class Channels {
  private Channels() {}

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
