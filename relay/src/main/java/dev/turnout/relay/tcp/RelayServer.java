package dev.turnout.relay.tcp;

import dev.turnout.relay.Origins;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.io.Closeable;
import java.net.InetSocketAddress;

/**
 * The TCP listener on the TUN address that the NAT delivers every captured connection to. Only
 * connections whose peer is a live NAT session are served ({@link TunAccept}); anything else is
 * reset. The {@link TcpRelay} does the rest.
 */
public final class RelayServer implements Closeable {
  private final Channel listener;
  private final AcceptPause acceptPause;

  private RelayServer(Channel listener, AcceptPause acceptPause) {
    this.listener = listener;
    this.acceptPause = acceptPause;
  }

  public static RelayServer start(
      InetSocketAddress listen, EventLoopGroup group, Origins origins, TcpRelay relay)
      throws InterruptedException {
    AcceptPause acceptPause = new AcceptPause("relay listener");
    Channel listener =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .option(ChannelOption.SO_BACKLOG, 4096)
            .option(ChannelOption.SO_REUSEADDR, true)
            .handler(acceptPause)
            .childOption(ChannelOption.AUTO_READ, false)
            .childOption(ChannelOption.TCP_NODELAY, true)
            .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(new TunAccept(origins, relay));
                  }
                })
            .bind(listen)
            .sync()
            .channel();
    return new RelayServer(listener, acceptPause);
  }

  /** Accepts that failed (out of file descriptors); any thread. */
  public long acceptFailures() {
    return acceptPause.failures();
  }

  /** The bound address (useful when started on port 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) listener.localAddress();
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
  }
}
