package dev.turnout.inbound.ws;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;

/**
 * The stream to a WebSocket client as frames (RFC 6455, unmasked from a server): each buffer one
 * binary frame. (The control frames {@link WsServerDecoder} answers with it writes itself, in
 * {@link #frame}'s form.) Being a byte encoder, it also keeps the relay from splicing the
 * connection past it.
 */
public final class WsFrameEncoder extends MessageToByteEncoder<ByteBuf> {
  public WsFrameEncoder() {
    super(ByteBuf.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf data, ByteBuf out) {
    if (data.isReadable()) {
      frame(WsServerDecoder.BINARY, data, out);
    }
  }

  /** Writes {@code payload} as one whole frame of {@code opcode}, unmasked. */
  static void frame(int opcode, ByteBuf payload, ByteBuf out) {
    int n = payload.readableBytes();
    out.writeByte(0x80 | opcode); // FIN: every frame whole
    if (n < 126) {
      out.writeByte(n);
    } else if (n <= 0xffff) {
      out.writeByte(126).writeShort(n);
    } else {
      out.writeByte(127).writeLong(n);
    }
    out.writeBytes(payload);
  }
}
