package dev.turnout.outbound.vless;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes the VLESS response header ({@code version 0 || addons length || addons}) off the front of
 * the server's stream, then passes everything through and leaves the pipeline. A version other than
 * 0 is logged and closes the connection. One per connection.
 */
final class VlessResponseDecoder extends ByteToMessageDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(VlessResponseDecoder.class);

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (in.readableBytes() < 2) {
      return;
    }
    int version = in.getUnsignedByte(in.readerIndex());
    if (version != 0) {
      in.skipBytes(in.readableBytes());
      LOG.warn("{}: VLESS response version {} (not 0); closing", ctx.channel(), version);
      ctx.close();
      return;
    }
    int addons = in.getUnsignedByte(in.readerIndex() + 1);
    if (in.readableBytes() < 2 + addons) {
      return;
    }
    in.skipBytes(2 + addons);
    // The rest of the cumulation goes up when this decoder leaves.
    ctx.pipeline().remove(this);
  }

  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
    if (ctx.pipeline().context(this) != null) {
      ctx.read(); // the header is not complete
    }
    super.channelReadComplete(ctx);
  }
}
