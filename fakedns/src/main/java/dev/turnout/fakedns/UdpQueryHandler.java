package dev.turnout.fakedns;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.function.Function;

/** One datagram, one query: hands the bytes to the processor and sends its answer back. */
@ChannelHandler.Sharable
final class UdpQueryHandler extends SimpleChannelInboundHandler<DatagramPacket> {
  private final QueryProcessor processor;
  private final SourceGuard guard;
  private final Function<InetSocketAddress, InetAddress> clients;

  UdpQueryHandler(
      QueryProcessor processor,
      SourceGuard guard,
      Function<InetSocketAddress, InetAddress> clients) {
    this.processor = processor;
    this.guard = guard;
    this.clients = clients;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
    InetSocketAddress sender = packet.sender();
    if (!guard.admitDatagram(sender.getAddress())) {
      return;
    }
    byte[] wire = ByteBufUtil.getBytes(packet.content());
    Channel channel = ctx.channel();
    processor
        .process(wire, true, clients.apply(sender))
        .thenAccept(
            answer -> {
              if (answer != null && channel.isActive()) {
                channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(answer), sender));
              }
            });
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // e.g. an ICMP error for an earlier answer: not fatal for a UDP server socket, keep serving
  }
}
