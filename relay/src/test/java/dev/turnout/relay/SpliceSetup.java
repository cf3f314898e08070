package dev.turnout.relay;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.LibC;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * What the splice tests share: one event loop as the relay's, a splice relay with one thread, and a
 * loopback server whose accepted sockets are the far ends of the connections the tests splice.
 */
public final class SpliceSetup implements AutoCloseable {
  public static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  public final EventLoopGroup loops =
      new MultiThreadIoEventLoopGroup(1, HalfCloseSafeEpoll.newFactory());
  public final SpliceRelay relay = SpliceRelay.startOrNull(1, Duration.ofMinutes(1));
  public final ServerSocket servers;

  /** Starts it; {@code backlog}: how many connections may wait for the test to accept them. */
  public SpliceSetup(int backlog) throws Exception {
    assertThat(relay).isNotNull();
    servers = new ServerSocket(0, backlog, LOOPBACK);
  }

  /** A Netty epoll socket on {@code group}, connected to {@link #servers}; the test accepts it. */
  public Channel connect(EventLoopGroup group) throws InterruptedException {
    return new Bootstrap()
        .group(group)
        .channel(EpollSocketChannel.class)
        .handler(new ChannelInboundHandlerAdapter())
        .connect(new InetSocketAddress(LOOPBACK, servers.getLocalPort()))
        .sync()
        .channel();
  }

  /**
   * Opens {@code /dev/null} until this process is out of file descriptors, and returns them; the
   * caller closes them ({@link #release}) in a {@code finally}.
   */
  public static List<Integer> useUpDescriptors() {
    List<Integer> fillers = new ArrayList<>();
    for (int i = 0; i < 100_000; i++) { // the soft limit here is 20,000 at most
      int fd = LibC.open("/dev/null", LibC.O_CLOEXEC);
      if (fd < 0) {
        break;
      }
      fillers.add(fd);
    }
    return fillers;
  }

  public static void release(List<Integer> fillers) {
    fillers.forEach(LibC::close);
  }

  @Override
  public void close() throws Exception {
    relay.close();
    servers.close();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }
}
