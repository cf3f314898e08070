package dev.turnout.relay.tcp;

import dev.turnout.relay.Origins;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.EventExecutor;
import java.io.Closeable;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * The TCP listener on the TUN address that the NAT delivers every captured connection to. Only
 * connections whose peer is a live NAT session are served ({@link TunAccept}); anything else is
 * reset. The {@link TcpRelay} does the rest.
 *
 * <p>Each event loop of the group has a listening socket of its own on the address ({@code
 * SO_REUSEPORT}; the kernel spreads connections over them) and serves what it accepts itself, so a
 * new connection is not handed from the accepting loop to another (a wake-up per connection).
 */
public final class RelayServer implements Closeable {
  private final List<Channel> listeners;
  private final List<AcceptPause> pauses;

  private RelayServer(List<Channel> listeners, List<AcceptPause> pauses) {
    this.listeners = listeners;
    this.pauses = pauses;
  }

  public static RelayServer start(
      InetSocketAddress listen, EventLoopGroup group, Origins origins, TcpRelay relay)
      throws InterruptedException {
    List<Channel> listeners = new ArrayList<>();
    List<AcceptPause> pauses = new ArrayList<>();
    boolean started = false;
    try {
      InetSocketAddress address = listen;
      for (EventExecutor executor : group) {
        AcceptPause pause = new AcceptPause("relay listener");
        Channel listener = listen((EventLoop) executor, address, pause, origins, relay);
        listeners.add(listener);
        pauses.add(pause);
        address = (InetSocketAddress) listener.localAddress(); // the port, if it was 0
      }
      started = true;
    } finally {
      if (!started) { // a bind failed (Netty throws its exception as it is)
        listeners.forEach(l -> l.close().syncUninterruptibly());
      }
    }
    return new RelayServer(List.copyOf(listeners), List.copyOf(pauses));
  }

  /** A listener on {@code loop} whose connections stay on {@code loop}. */
  private static Channel listen(
      EventLoop loop, InetSocketAddress address, AcceptPause pause, Origins origins, TcpRelay relay)
      throws InterruptedException {
    return new ServerBootstrap()
        .group(loop, loop)
        .channel(EpollServerSocketChannel.class)
        .option(ChannelOption.SO_BACKLOG, 4096)
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(EpollChannelOption.SO_REUSEPORT, true)
        .handler(pause)
        .childOption(ChannelOption.AUTO_READ, false)
        .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true) // Netty's epoll sets TCP_NODELAY
        .childHandler(
            new ChannelInitializer<SocketChannel>() {
              @Override
              protected void initChannel(SocketChannel ch) {
                ch.pipeline().addLast(new TunAccept(origins, relay));
              }
            })
        .bind(address)
        .sync()
        .channel();
  }

  /** Accepts that failed (out of file descriptors); any thread. */
  public long acceptFailures() {
    return pauses.stream().mapToLong(AcceptPause::failures).sum();
  }

  /** The bound address (useful when started on port 0). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) listeners.get(0).localAddress();
  }

  @Override
  public void close() {
    listeners.forEach(l -> l.close().syncUninterruptibly());
  }
}
