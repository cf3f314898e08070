package dev.turnout.inbound.socks;

import dev.turnout.inbound.ClientHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DuplexChannel;
import io.netty.util.ReferenceCountUtil;

/**
 * Watches the TCP control connection of a UDP association: nothing more is expected on it, so what
 * the client sends is read and discarded (reading is how its end is seen), and its end of input
 * closes it, which ends the association.
 */
final class AssociationControl extends ClientHandler {
  @Override
  public void handlerAdded(ChannelHandlerContext ctx) {
    if (!ctx.channel().isActive() || ((DuplexChannel) ctx.channel()).isInputShutdown()) {
      ctx.close(); // the client left while the association was being set up
      return;
    }
    ctx.read();
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) {
    ReferenceCountUtil.release(msg);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.read();
  }
}
