package dev.turnout.outbound.socks;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.MessageToMessageCodec;
import io.netty.handler.codec.socksx.v5.Socks5CommandResponse;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SOCKS5 UDP framing (RFC 1928, section 7) between a session and the server's relay: each {@link
 * AddressedDatagram} becomes a packet to the relay prefixed by the UDP request header (RSV = 0,
 * FRAG = 0, destination address); packets from the relay lose that header and become {@link
 * AddressedDatagram}s from the address it names. Packets from elsewhere, fragments and malformed
 * headers are logged and dropped. One per session.
 */
final class Socks5DatagramCodec extends MessageToMessageCodec<DatagramPacket, AddressedDatagram> {
  private static final Logger LOG = LoggerFactory.getLogger(Socks5DatagramCodec.class);

  /** RSV (2 bytes) and FRAG. */
  static final int PREFIX = 3;

  private final InetSocketAddress relay;

  Socks5DatagramCodec(InetSocketAddress relay) {
    this.relay = relay;
  }

  /**
   * The relay address of a UDP ASSOCIATE reply; a wildcard or a name in BND.ADDR means the server's
   * own address.
   */
  static InetSocketAddress relay(Socks5CommandResponse reply, InetAddress server) {
    InetAddress bound = IpLiterals.parseHostOrNull(reply.bndAddr());
    if (bound == null || bound.isAnyLocalAddress()) {
      bound = server;
    }
    return new InetSocketAddress(bound, reply.bndPort());
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, AddressedDatagram datagram, List<Object> out) {
    Destination d = datagram.peer();
    ByteBuf header = ctx.alloc().buffer(PREFIX + SocksAddress.length(d));
    try {
      header.writeZero(PREFIX);
      SocksAddress.write(d, header);
    } catch (RuntimeException e) {
      header.release();
      throw e;
    }
    ByteBuf packet =
        ctx.alloc().compositeBuffer(2).addComponents(true, header, datagram.content().retain());
    out.add(new DatagramPacket(packet, relay));
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, DatagramPacket packet, List<Object> out) {
    ByteBuf in = packet.content();
    if (!packet.sender().equals(relay)
        || in.readableBytes() < PREFIX + 1
        || in.getByte(in.readerIndex() + 2) != 0) {
      LOG.debug("dropping a datagram from {} that is not a SOCKS5 reply", packet.sender());
      return;
    }
    in.skipBytes(PREFIX);
    Destination source = SocksAddress.read(in);
    if (source == null) {
      LOG.debug("dropping a SOCKS5 reply with a malformed address");
      return;
    }
    out.add(new AddressedDatagram(source, in.retain()));
  }
}
