package dev.turnout.relay.tcp;

import dev.turnout.outbound.Outbound;
import dev.turnout.relay.Connections;
import dev.turnout.relay.Origins;
import dev.turnout.relay.RelaySettings;
import dev.turnout.relay.Router;
import dev.turnout.relay.splice.SpliceRelay;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import java.io.Closeable;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.Executor;

/**
 * The TCP listener on the TUN address that the NAT delivers every captured connection to. Only
 * connections whose peer is a live NAT session are served; anything else is reset.
 */
public final class RelayServer implements Closeable {
  private final Channel listener;
  private final RelayStats stats;
  private final SpliceRelay splice;

  private RelayServer(Channel listener, RelayStats stats, SpliceRelay splice) {
    this.listener = listener;
    this.stats = stats;
    this.splice = splice;
  }

  public static RelayServer start(
      InetSocketAddress listen,
      EventLoopGroup group,
      Origins origins,
      Router router,
      Map<String, Outbound> outbounds,
      Executor blockingExecutor,
      Connections connections,
      RelaySettings settings)
      throws InterruptedException {
    RelayStats stats = new RelayStats();
    SpliceRelay splice =
        settings.spliceThreads() > 0
            ? SpliceRelay.startOrNull(settings.spliceThreads(), settings.idleTimeout())
            : null;
    Channel listener;
    try {
      listener =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerSocketChannel.class)
              .option(ChannelOption.SO_BACKLOG, 4096)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childOption(ChannelOption.AUTO_READ, false)
              .childOption(ChannelOption.TCP_NODELAY, true)
              .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(
                              new ConnectionHandler(
                                  origins,
                                  router,
                                  outbounds,
                                  blockingExecutor,
                                  stats,
                                  connections,
                                  settings,
                                  splice));
                    }
                  })
              .bind(listen)
              .sync()
              .channel();
    } catch (InterruptedException | RuntimeException e) {
      if (splice != null) {
        splice.close();
      }
      throw e;
    }
    return new RelayServer(listener, stats, splice);
  }

  /** The bound address (useful when started on port 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) listener.localAddress();
  }

  public RelayStats stats() {
    return stats;
  }

  @Override
  public void close() {
    listener.close().syncUninterruptibly();
    if (splice != null) {
      splice.close();
    }
  }
}
