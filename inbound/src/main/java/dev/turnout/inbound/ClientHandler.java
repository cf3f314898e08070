package dev.turnout.inbound;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * What every handler that talks to a proxy client does alike: an exception closes the connection (a
 * reset or a broken pipe is how clients leave), and the client's end of input goes to {@link
 * #inputShutdown} — by default closing, as a client that stops sending mid-handshake will not
 * finish it — and an idle event to {@link #idle}. Runs on the client's event loop.
 */
public abstract class ClientHandler extends ChannelInboundHandlerAdapter {
  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
    if (event instanceof ChannelInputShutdownEvent) {
      inputShutdown(ctx);
    } else if (event instanceof IdleStateEvent idle) {
      idle(ctx, idle);
    } else {
      ctx.fireUserEventTriggered(event);
    }
  }

  /** The client shut its output (half-close); connections are opened with half-closure on. */
  protected void inputShutdown(ChannelHandlerContext ctx) {
    ctx.close();
  }

  /** An idle handler in front fired; ignored unless overridden. */
  protected void idle(ChannelHandlerContext ctx, IdleStateEvent event) {}

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    ctx.close();
  }
}
