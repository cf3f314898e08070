package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
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

/**
 * One datagram, one query: answers fake-IP questions from the bytes ({@link
 * QueryProcessor#answerFast}), hands the others to the processor, and sends the answer back.
 */
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
    InetAddress client = clients.apply(sender);
    ByteBuf fast = processor.answerFast(packet.content(), client, ctx.alloc());
    if (fast != null) {
      ctx.write(new DatagramPacket(fast, sender)); // flushed with the rest of this read
      return;
    }
    byte[] wire = ByteBufUtil.getBytes(packet.content());
    Channel channel = ctx.channel();
    processor
        .process(wire, true, client)
        .thenAccept(
            answer -> {
              if (answer != null && channel.isActive()) {
                channel.writeAndFlush(new DatagramPacket(Unpooled.wrappedBuffer(answer), sender));
              }
            });
  }

  /**
   * The answers written during one read of the socket leave together: several datagrams go in one
   * sendmmsg(2) instead of a syscall each.
   */
  @Override
  public void channelReadComplete(ChannelHandlerContext ctx) {
    ctx.flush();
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // e.g. an ICMP error for an earlier answer: not fatal for a UDP server socket, keep serving
  }
}
