package dev.turnout.fakedns;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves DNS on one address over UDP and TCP (same port) with Netty epoll, answering through a
 * {@link FakeDnsHandler}. UDP answers are cut to the client's EDNS size (512 without EDNS) with TC
 * set; TCP uses 2-byte length framing, several queries per connection, and closes connections idle
 * for {@value #IDLE_SECONDS} s. Malformed input is answered FORMERR when its header is readable,
 * otherwise dropped; either way it is counted and logged once per reason.
 *
 * <p>Thread-safe. {@link #close()} releases both sockets and the event loop threads.
 */
public final class DnsServer implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(DnsServer.class);
  static final int IDLE_SECONDS = 10;

  /** Counters since start. {@code malformed} inputs are also included in {@code queries}. */
  public record Stats(
      long queries, long fakeAnswers, long forwarded, long errors, long malformed) {}

  private final EventLoopGroup group;
  private final Channel udp;
  private final Channel tcp;
  private final QueryProcessor processor;

  private DnsServer(EventLoopGroup group, Channel udp, Channel tcp, QueryProcessor processor) {
    this.group = group;
    this.udp = udp;
    this.tcp = tcp;
    this.processor = processor;
  }

  /**
   * Binds UDP and TCP on {@code listen} and starts serving. With port 0 an ephemeral port free for
   * both protocols is chosen; see {@link #localAddress()}.
   *
   * @throws UncheckedIOException if either socket cannot be bound (nothing stays open then)
   * @throws UnsatisfiedLinkError if Netty's epoll transport is unavailable
   */
  public static DnsServer start(InetSocketAddress listen, FakeDnsHandler handler) {
    return start(listen, handler, Duration.ofSeconds(IDLE_SECONDS));
  }

  static DnsServer start(InetSocketAddress listen, FakeDnsHandler handler, Duration tcpIdle) {
    Epoll.ensureAvailability();
    QueryProcessor processor = new QueryProcessor(handler);
    EventLoopGroup group =
        new MultiThreadIoEventLoopGroup(
            2, new DefaultThreadFactory("turnout-dns", true), EpollIoHandler.newFactory());
    try {
      UdpQueryHandler udpHandler = new UdpQueryHandler(processor);
      Bootstrap udpBoot =
          new Bootstrap().group(group).channel(EpollDatagramChannel.class).handler(udpHandler);
      ServerBootstrap tcpBoot =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerSocketChannel.class)
              .option(ChannelOption.SO_REUSEADDR, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline().addLast(new TcpQueryHandler(processor, tcpIdle));
                    }
                  });
      IOException last = null;
      for (int attempt = 0; attempt < (listen.getPort() == 0 ? 10 : 1); attempt++) {
        Channel udp = bind(udpBoot.bind(listen));
        InetSocketAddress bound = (InetSocketAddress) udp.localAddress();
        try {
          Channel tcp = bind(tcpBoot.bind(bound));
          log.info("DNS server listening on {} (udp+tcp)", bound);
          return new DnsServer(group, udp, tcp, processor);
        } catch (IOException e) {
          udp.close().syncUninterruptibly();
          last = e;
        }
      }
      throw new UncheckedIOException("cannot bind DNS server on " + listen, last);
    } catch (IOException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw new UncheckedIOException("cannot bind DNS server on " + listen, e);
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.SECONDS);
      throw e;
    }
  }

  private static Channel bind(io.netty.channel.ChannelFuture future) throws IOException {
    future.awaitUninterruptibly();
    if (!future.isSuccess()) {
      Throwable cause = future.cause();
      throw cause instanceof IOException io ? io : new IOException(cause);
    }
    return future.channel();
  }

  /** The bound address (UDP and TCP share it). */
  public InetSocketAddress localAddress() {
    return (InetSocketAddress) udp.localAddress();
  }

  /** A snapshot of the counters. */
  public Stats stats() {
    FakeDnsHandler h = processor.handler();
    return new Stats(
        processor.queries.sum(),
        h.fakeAnswers.sum(),
        h.forwarded.sum(),
        h.errors.sum(),
        processor.malformed.sum());
  }

  /** Closes both sockets and stops the event loop; in-flight answers are dropped. Idempotent. */
  @Override
  public void close() {
    udp.close().awaitUninterruptibly();
    tcp.close().awaitUninterruptibly();
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly();
  }
}
