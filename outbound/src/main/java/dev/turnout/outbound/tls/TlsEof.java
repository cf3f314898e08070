package dev.turnout.outbound.tls;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.ssl.SslCloseCompletionEvent;

/**
 * Sits behind an {@code SslHandler}: a TLS close_notify ends the peer's stream just as a TCP FIN
 * does, but Netty reports it only as an {@link SslCloseCompletionEvent}. Either one becomes a
 * single {@link ChannelInputShutdownEvent} for the handler behind, which is what the relay watches.
 * One per channel.
 */
public final class TlsEof extends ChannelInboundHandlerAdapter {
  private boolean ended;

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof SslCloseCompletionEvent || evt instanceof ChannelInputShutdownEvent) {
      if (!ended) {
        ended = true;
        ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
      }
      return;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
