package dev.turnout.outbound.trojan;

import dev.turnout.outbound.Destination;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Promise;

/**
 * The client side of Trojan behind the TLS handler: once TLS reports its handshake done, writes the
 * {@link TrojanRequest} header, leaves the pipeline and, when the write succeeded, completes {@code
 * promise} with the channel. Trojan servers send no reply. A failed TLS handshake fails {@code
 * promise} with its cause.
 */
final class TrojanHandshake extends ChannelInboundHandlerAdapter {
  private final byte[] passwordHash;
  private final Destination destination;
  private final Promise<Channel> promise;

  TrojanHandshake(byte[] passwordHash, Destination destination, Promise<Channel> promise) {
    this.passwordHash = passwordHash;
    this.destination = destination;
    this.promise = promise;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent tls && !promise.isDone()) {
      if (!tls.isSuccess()) {
        promise.tryFailure(tls.cause());
      } else {
        Channel ch = ctx.channel();
        ctx.writeAndFlush(TrojanRequest.connect(ctx.alloc(), passwordHash, destination))
            .addListener(
                f -> {
                  if (f.isSuccess()) {
                    promise.trySuccess(ch);
                  } else {
                    promise.tryFailure(f.cause());
                  }
                });
        ctx.pipeline().remove(this);
      }
    }
    ctx.fireUserEventTriggered(evt);
  }
}
