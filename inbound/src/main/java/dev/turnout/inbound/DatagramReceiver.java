package dev.turnout.inbound;

import dev.turnout.outbound.Dialer;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import java.util.function.Consumer;

/**
 * The handler of a listener's UDP socket: hands each datagram to its owner, which takes it, once
 * the owner is set (datagrams that arrive between the bind and then are dropped). A failed send to
 * a client that went away is ignored: the socket stays.
 */
public final class DatagramReceiver extends SimpleChannelInboundHandler<DatagramPacket> {
  private volatile Consumer<DatagramPacket> owner;

  public DatagramReceiver() {
    super(false);
  }

  /**
   * A bootstrap for a listener's UDP socket on {@code group} with this receiver: datagrams read
   * whole (Netty's default buffer of 2,048 bytes cuts longer ones), 1 MiB socket buffers, the
   * address reusable.
   */
  public Bootstrap bootstrap(EventLoopGroup group) {
    return new Bootstrap()
        .group(group)
        .channel(EpollDatagramChannel.class)
        .option(ChannelOption.RCVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(Dialer.MAX_DATAGRAM))
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_RCVBUF, 1 << 20)
        .option(ChannelOption.SO_SNDBUF, 1 << 20)
        .handler(this);
  }

  /** Where datagrams go from now on. */
  public void owner(Consumer<DatagramPacket> owner) {
    this.owner = owner;
  }

  @Override
  protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
    Consumer<DatagramPacket> to = owner;
    if (to == null) {
      packet.release();
    } else {
      to.accept(packet);
    }
  }

  @Override
  public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
    // a send to a client that went away
  }
}
