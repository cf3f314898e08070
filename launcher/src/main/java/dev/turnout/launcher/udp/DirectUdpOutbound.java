package dev.turnout.launcher.udp;

import dev.turnout.netbase.HostResolver;
import dev.turnout.outbound.Destination;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.ConnectException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DIRECT for UDP: one connected datagram socket per session, to the destination's first IPv4
 * address (names resolved through Turnout's own resolver, never the system's). Being connected, the
 * socket only accepts replies from that address and port — endpoint-dependent, which is all a
 * fake-IP flow can express anyway. Addresses that {@code forbidden} accepts (Turnout's own range)
 * are refused so that nothing loops back into the TUN. With a non-zero {@code mark} every socket
 * carries {@code SO_MARK}; a socket on which the mark does not stick is closed (fail closed: in
 * capture-all mode an unmarked socket would loop).
 */
public final class DirectUdpOutbound implements UdpOutbound {
  private static final Logger log = LoggerFactory.getLogger(DirectUdpOutbound.class);

  /** {@code SOL_SOCKET}/{@code SO_MARK} on Linux. */
  static final IntegerUnixChannelOption SO_MARK = new IntegerUnixChannelOption("SO_MARK", 1, 36);

  private final HostResolver resolver;
  private final Predicate<InetAddress> forbidden;
  private final int mark;

  /**
   * @param resolver Turnout's own resolver for names
   * @param forbidden addresses never to send to (Turnout's TUN range)
   * @param mark the routing mark for every socket, or 0 for none
   */
  public DirectUdpOutbound(HostResolver resolver, Predicate<InetAddress> forbidden, int mark) {
    this.resolver = resolver;
    this.forbidden = forbidden;
    this.mark = mark;
  }

  @Override
  public String name() {
    return "DIRECT";
  }

  @Override
  public Future<Session> open(Destination destination, EventLoop loop, Replies replies) {
    Promise<Session> promise = loop.newPromise();
    if (destination.address() != null) {
      connect(List.of(destination.address()), destination.port(), loop, replies, promise);
      return promise;
    }
    resolver
        .resolve(destination.host())
        .whenComplete(
            (addresses, error) ->
                loop.execute(
                    () -> {
                      if (error != null) {
                        promise.tryFailure(error);
                      } else {
                        connect(addresses, destination.port(), loop, replies, promise);
                      }
                    }));
    return promise;
  }

  private void connect(
      List<InetAddress> addresses,
      int port,
      EventLoop loop,
      Replies replies,
      Promise<Session> promise) {
    InetAddress address =
        addresses.stream().filter(a -> a instanceof Inet4Address).findFirst().orElse(null);
    if (address == null) {
      promise.tryFailure(new ConnectException("no IPv4 address to send to"));
      return;
    }
    if (forbidden.test(address)) {
      promise.tryFailure(
          new ConnectException(
              "refusing to send to " + address.getHostAddress() + ": inside Turnout's own range"));
      return;
    }
    Bootstrap bootstrap =
        new Bootstrap()
            .group(loop)
            .channel(EpollDatagramChannel.class)
            .option(ChannelOption.SO_RCVBUF, 1 << 20)
            .handler(new ReplyHandler(replies));
    if (mark != 0) {
      bootstrap.option(SO_MARK, mark);
    }
    ChannelFuture connect = bootstrap.connect(new InetSocketAddress(address, port));
    connect.addListener(
        f -> {
          Channel channel = connect.channel();
          if (!f.isSuccess()) {
            promise.tryFailure(f.cause());
            return;
          }
          if (mark != 0 && !hasMark(channel)) {
            channel.close();
            promise.tryFailure(new IOException("SO_MARK " + mark + " did not stick on a socket"));
            return;
          }
          if (!promise.trySuccess(new DirectSession(channel))) {
            channel.close();
          }
        });
  }

  private boolean hasMark(Channel channel) {
    try {
      Integer actual = channel.config().getOption(SO_MARK);
      return actual != null && actual == mark;
    } catch (RuntimeException e) {
      log.error("cannot read SO_MARK back: {}", e.toString());
      return false;
    }
  }

  private static final class DirectSession implements Session {
    private final Channel channel;

    DirectSession(Channel channel) {
      this.channel = channel;
    }

    @Override
    public void send(ByteBuf payload) {
      if (channel.isActive()) {
        channel.writeAndFlush(payload, channel.voidPromise());
      } else {
        payload.release();
      }
    }

    @Override
    public void close() {
      channel.close();
    }
  }

  private static final class ReplyHandler extends SimpleChannelInboundHandler<DatagramPacket> {
    private final Replies replies;

    ReplyHandler(Replies replies) {
      super(false);
      this.replies = replies;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      replies.reply(packet.content());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // ICMP unreachable on a connected socket surfaces here; UDP just loses that datagram.
      log.debug("udp {}: {}", ctx.channel().remoteAddress(), cause.toString());
    }
  }
}
