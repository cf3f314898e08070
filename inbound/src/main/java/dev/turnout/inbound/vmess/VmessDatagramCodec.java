package dev.turnout.inbound.vmess;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.vmess.VmessServer;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageCodec;
import java.util.List;

/**
 * The datagrams of a VMess UDP request: each body chunk one datagram, both ways, all to and from
 * the request's one destination. Replies longer than a chunk carries are dropped.
 */
final class VmessDatagramCodec extends MessageToMessageCodec<ByteBuf, AddressedDatagram> {
  private final Destination target;

  VmessDatagramCodec(Destination target) {
    this.target = target;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, AddressedDatagram msg, List<Object> out) {
    ByteBuf payload = msg.content();
    if (payload.isReadable() && payload.readableBytes() <= VmessServer.MAX_DATAGRAM) {
      out.add(payload.retain());
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf msg, List<Object> out) {
    out.add(new AddressedDatagram(target, msg.retain()));
  }
}
