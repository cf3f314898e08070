package dev.turnout.outbound.trojan;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trojan's UDP packets on its stream, after the UDP ASSOCIATE header: each datagram is {@code
 * address (SOCKS5 encoding) || length (2 bytes) || CRLF || payload}, both ways. A malformed packet
 * from the peer (unknown address type, port 0, missing CRLF) is logged and closes the session,
 * since the stream cannot be resynchronised. One per session: a proxy's, or a Trojan listener's
 * client's (the framing is the same both ways).
 */
public final class TrojanDatagramCodec extends ByteToMessageCodec<AddressedDatagram> {
  private static final Logger LOG = LoggerFactory.getLogger(TrojanDatagramCodec.class);

  private final String name;
  private boolean broken;

  /**
   * @param name the proxy's (or listener's) name, for log lines
   */
  public TrojanDatagramCodec(String name) {
    super(AddressedDatagram.class);
    this.name = name;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, AddressedDatagram msg, ByteBuf out) {
    ByteBuf payload = msg.content();
    if (payload.readableBytes() > 0xffff) {
      return; // no datagram is that long
    }
    SocksAddress.write(msg.peer(), out);
    out.writeShort(payload.readableBytes()).writeByte('\r').writeByte('\n');
    out.writeBytes(payload, payload.readerIndex(), payload.readableBytes());
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (!broken && in.isReadable()) {
      int need = SocksAddress.encodedLength(in);
      if (need < 0) {
        fail(ctx, in, "unknown address type");
        return;
      }
      if (need == 0 || in.readableBytes() < need + 4) {
        return;
      }
      int length = in.getUnsignedShort(in.readerIndex() + need);
      if (in.readableBytes() < need + 4 + length) {
        return;
      }
      if (in.getByte(in.readerIndex() + need + 2) != '\r'
          || in.getByte(in.readerIndex() + need + 3) != '\n') {
        fail(ctx, in, "packet without CRLF");
        return;
      }
      Destination source = SocksAddress.read(in);
      if (source == null) {
        fail(ctx, in, "malformed address");
        return;
      }
      in.skipBytes(4);
      out.add(new AddressedDatagram(source, in.readRetainedSlice(length)));
    }
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in, String why) {
    broken = true;
    in.skipBytes(in.readableBytes());
    LOG.warn("{}: Trojan UDP {}; closing the session", name, why);
    ctx.close();
  }
}
