package dev.turnout.outbound.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.List;

/**
 * Between the WebSocket frame codecs and the proxy protocol: each outgoing chunk becomes one binary
 * frame, the payload of each data frame (binary, text or continuation) goes up as bytes. A ping is
 * answered; a close frame ends the server's stream (one {@link ChannelInputShutdownEvent}). One per
 * connection.
 */
final class WsFrames extends MessageToMessageCodec<WebSocketFrame, ByteBuf> {
  private boolean ended;

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) {
    if (msg.isReadable()) {
      out.add(new BinaryWebSocketFrame(msg.retain()));
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
    if (frame instanceof BinaryWebSocketFrame
        || frame instanceof ContinuationWebSocketFrame
        || frame instanceof TextWebSocketFrame) {
      if (frame.content().isReadable() && !ended) {
        out.add(frame.content().retain());
      }
    } else if (frame instanceof PingWebSocketFrame) {
      ctx.writeAndFlush(new PongWebSocketFrame(frame.content().retain()));
    } else if (frame instanceof CloseWebSocketFrame && !ended) {
      ended = true;
      ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }
  }

  @Override
  public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
    if (evt instanceof ChannelInputShutdownEvent) {
      if (ended) {
        return;
      }
      ended = true;
    }
    ctx.fireUserEventTriggered(evt);
  }
}
