package dev.turnout.inbound.vless;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import java.util.List;

/**
 * The datagrams of a VLESS UDP request on its stream, both ways: each behind its 2-byte length
 * (big-endian), all to and from the request's one destination. Replies longer than a frame can say
 * are dropped.
 */
final class VlessDatagramCodec extends ByteToMessageCodec<AddressedDatagram> {
  private static final int MAX = 0xffff;

  private final Destination target;

  VlessDatagramCodec(Destination target) {
    super(AddressedDatagram.class);
    this.target = target;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, AddressedDatagram msg, ByteBuf out) {
    ByteBuf payload = msg.content();
    if (payload.readableBytes() <= MAX) {
      out.writeShort(payload.readableBytes()).writeBytes(payload);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (in.readableBytes() >= 2) {
      int length = in.getUnsignedShort(in.readerIndex());
      if (in.readableBytes() < 2 + length) {
        return;
      }
      in.skipBytes(2);
      out.add(new AddressedDatagram(target, in.readRetainedSlice(length)));
    }
  }
}
