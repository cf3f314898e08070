package dev.turnout.outbound.trojan;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.ProxyHandshake;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import io.netty.util.concurrent.Promise;

/**
 * The client side of Trojan behind the TLS handler: once TLS reports its handshake done, writes the
 * {@link TrojanRequest} header, leaves the pipeline and, when the write succeeded, completes {@code
 * promise} with the channel. Trojan servers send no reply. A failed TLS handshake fails {@code
 * promise} with its cause.
 */
final class TrojanHandshake extends ProxyHandshake {
  private final byte[] passwordHash;
  private final Destination destination;
  private final Promise<Channel> promise;

  TrojanHandshake(byte[] passwordHash, Destination destination, Promise<Channel> promise) {
    super(promise, "Trojan server closed the connection during the TLS handshake");
    this.passwordHash = passwordHash;
    this.destination = destination;
    this.promise = promise;
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslHandshakeCompletionEvent tls && !promise.isDone()) {
      if (!tls.isSuccess()) {
        fail(ctx, tls.cause());
      } else {
        Channel ch = ctx.channel();
        ByteBuf request;
        try {
          request = TrojanRequest.connect(ctx.alloc(), passwordHash, destination);
        } catch (IllegalArgumentException e) { // a name too long for the address encoding
          fail(ctx, e);
          return;
        }
        completeAfter(ctx.writeAndFlush(request), ch, promise);
        ctx.pipeline().remove(this);
      }
    }
    ctx.fireUserEventTriggered(evt);
  }
}
