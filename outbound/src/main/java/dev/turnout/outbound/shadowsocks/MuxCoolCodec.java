package dev.turnout.outbound.shadowsocks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.ByteToMessageCodec;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one-session Mux.Cool framing v2ray-plugin clients put inside their WebSocket ({@code
 * plugin-opts.mux}, on by default as in mihomo): a "new session" frame (TCP to 127.0.0.1:0, which
 * the plugin server ignores) ahead of the first data, then each chunk as a "keep" frame with data.
 * Server frames: {@code metadata length (2) || session (2) || status || option [|| data length (2)
 * || data]}; keep-alives and frames without data are skipped, metadata over 512 bytes closes the
 * connection. One per connection.
 */
final class MuxCoolCodec extends ByteToMessageCodec<ByteBuf> {
  private static final Logger LOG = LoggerFactory.getLogger(MuxCoolCodec.class);
  private static final int NEW = 1;
  private static final int KEEP = 2;
  private static final int END = 3;
  private static final int OPTION_DATA = 1;
  private static final int MAX_METADATA = 512;
  private static final int MAX_CHUNK = 0xffff;

  private boolean opened;
  private boolean broken;
  private boolean ended;
  private boolean endFired;

  MuxCoolCodec() {
    super(ByteBuf.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf in, ByteBuf out) {
    if (!opened) {
      opened = true;
      // length 12: session 0, New, no option, TCP, port 0, IPv4 127.0.0.1
      out.writeShort(12).writeShort(0).writeByte(NEW).writeByte(0);
      out.writeByte(1).writeShort(0).writeByte(1).writeInt(0x7f000001);
    }
    while (in.isReadable()) {
      int n = Math.min(MAX_CHUNK, in.readableBytes());
      out.writeShort(4).writeShort(0).writeByte(KEEP).writeByte(OPTION_DATA);
      out.writeShort(n).writeBytes(in, n);
    }
  }

  @Override
  public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
    super.channelRead(ctx, msg); // fires what was decoded
    if (ended && !endFired) {
      endFired = true;
      ctx.fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (!broken && in.readableBytes() >= 2) {
      int start = in.readerIndex();
      int meta = in.getUnsignedShort(start);
      if (meta < 4 || meta > MAX_METADATA) {
        broken = true;
        in.skipBytes(in.readableBytes());
        LOG.warn("{}: Mux.Cool metadata of {} bytes; closing", ctx.channel(), meta);
        ctx.close();
        return;
      }
      if (in.readableBytes() < 2 + meta) {
        return;
      }
      if (in.getUnsignedByte(start + 2 + 2) == END) {
        ended = true; // the session is over; the connection under it may stay
      }
      boolean data = (in.getUnsignedByte(start + 2 + 3) & OPTION_DATA) != 0;
      if (!data) {
        in.skipBytes(2 + meta);
        continue;
      }
      if (in.readableBytes() < 2 + meta + 2) {
        return;
      }
      int n = in.getUnsignedShort(start + 2 + meta);
      if (in.readableBytes() < 2 + meta + 2 + n) {
        return;
      }
      in.skipBytes(2 + meta + 2);
      if (n > 0) {
        out.add(in.readRetainedSlice(n));
      }
    }
  }
}
