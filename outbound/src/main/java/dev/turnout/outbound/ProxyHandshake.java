package dev.turnout.outbound;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;

/**
 * Base of the handlers that run a proxy protocol's handshake on a connected channel. Whatever ends
 * the handshake early (a refusal or malformed reply the subclass finds, an exception in the
 * pipeline, the proxy closing first) fails the handshake's promise once and closes the channel: a
 * bad reply ends that connection only and never throws out of the pipeline. Runs on the channel's
 * event loop.
 */
public abstract class ProxyHandshake extends ChannelInboundHandlerAdapter {
  private final Promise<?> promise;
  private final String closedEarly;

  /**
   * @param promise completed by the subclass on success, failed here otherwise
   * @param closedEarly the message when the proxy closes the connection during the handshake
   */
  protected ProxyHandshake(Promise<?> promise, String closedEarly) {
    this.promise = promise;
    this.closedEarly = closedEarly;
  }

  /** Fails the handshake with {@code cause} and closes the channel, unless it already ended. */
  protected final void fail(ChannelHandlerContext ctx, Throwable cause) {
    if (promise.tryFailure(cause)) {
      ctx.close();
    }
  }

  /** Writes {@code message} to the proxy and, once it is written, reads the reply. */
  protected final void send(ChannelHandlerContext ctx, Object message) {
    ctx.writeAndFlush(message)
        .addListener(
            f -> {
              if (f.isSuccess()) {
                ctx.read();
              } else {
                fail(ctx, f.cause());
              }
            });
  }

  @Override
  public void channelInactive(ChannelHandlerContext ctx) {
    fail(ctx, new IOException(closedEarly));
    ctx.fireChannelInactive();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    fail(ctx, cause);
  }

  /** Completes {@code promise} with {@code ch} once {@code step} succeeded, else fails it. */
  public static void completeAfter(Future<?> step, Channel ch, Promise<Channel> promise) {
    step.addListener(
        f -> {
          if (f.isSuccess()) {
            promise.trySuccess(ch);
          } else {
            promise.tryFailure(f.cause());
          }
        });
  }
}
