package dev.turnout.fakedns;

import dev.turnout.netbase.MarkedSockets;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ReflectiveChannelFactory;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Opens the sockets of the upstream DNS clients: Netty epoll channels on one small event loop, each
 * carrying {@code SO_MARK} when a mark is configured. In capture-all mode (docs/design.md, "Host
 * changes") an unmarked upstream query would be routed into Turnout's own TUN and hijacked back to
 * Turnout, so this fails closed through {@link MarkedSockets}: the mark is set before the socket is
 * bound or connected, read back from the kernel, and a socket on which it did not stick is closed
 * and its query failed.
 *
 * <p>The event loop (one daemon thread) starts with the first socket and stops at {@link #close}.
 * Thread-safe.
 */
final class MarkedChannels {
  private static final AtomicInteger THREADS = new AtomicInteger();

  private final MarkedSockets sockets;
  private final IntConsumer markRead; // test hook: the mark read back from each socket
  private final EventLoopGroup group;

  /**
   * @param mark {@code SO_MARK} for every socket, or 0 for none
   * @param markRead told the mark read back from every socket (before it is used); for tests
   */
  MarkedChannels(int mark, IntConsumer markRead) {
    this.sockets = new MarkedSockets(mark, null);
    this.markRead = markRead;
    this.group =
        new MultiThreadIoEventLoopGroup(
            1,
            r -> {
              Thread t = new Thread(r, "turnout-dns-io-" + THREADS.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            EpollIoHandler.newFactory());
    // Netty's first use in a JVM (classes, the pooled allocator) takes most of a second: pay it
    // here rather than inside the first query's timeout.
    group.submit(() -> ByteBufAllocator.DEFAULT.buffer(1).release()).syncUninterruptibly();
  }

  int mark() {
    return sockets.mark();
  }

  /** The event loop, for timers of the exchanges on these channels. */
  EventLoopGroup group() {
    return group;
  }

  /**
   * Registers a new channel of {@code type} with {@code handler}, marks it and checks the mark.
   * Completes with the registered, not yet bound channel, or fails (the channel closed) when the
   * mark did not stick.
   */
  CompletableFuture<Channel> open(Class<? extends Channel> type, ChannelHandler handler) {
    return open(new ReflectiveChannelFactory<>(type), handler, null);
  }

  /**
   * {@link #open(Class, ChannelHandler)} for a channel {@code factory} makes, the socket also bound
   * to {@code device} (null: none).
   */
  CompletableFuture<Channel> open(
      ChannelFactory<? extends Channel> factory, ChannelHandler handler, String device) {
    MarkedSockets sockets =
        device == null ? this.sockets : new MarkedSockets(this.sockets.mark(), device);
    if (group.isShuttingDown()) {
      return CompletableFuture.failedFuture(new IOException("DNS client is closed"));
    }
    CompletableFuture<Channel> result = new CompletableFuture<>();
    // The socket is made in a task of its own, never inside another channel's handler: a channel
    // closed there (an answered query's, whose answer started this one) still finishes its read
    // loop afterwards, and a socket made meanwhile gets its descriptor number, so that loop would
    // read this socket's first datagram (seen: a DNS answer taken by the finished DHCP exchange).
    try {
      group.execute(() -> openNow(factory, handler, sockets, result));
    } catch (RejectedExecutionException e) { // event loop shut down
      return CompletableFuture.failedFuture(new IOException("DNS client is closed", e));
    }
    return result;
  }

  private void openNow(
      ChannelFactory<? extends Channel> factory,
      ChannelHandler handler,
      MarkedSockets sockets,
      CompletableFuture<Channel> result) {
    Future<Channel> opened;
    try {
      opened =
          sockets.open(
              new Bootstrap()
                  .group(group)
                  .channelFactory(factory)
                  .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                  .handler(handler),
              Channel::newSucceededFuture);
    } catch (RuntimeException e) { // event loop shut down
      result.completeExceptionally(new IOException("DNS client is closed", e));
      return;
    }
    opened.addListener(
        f -> {
          if (!f.isSuccess()) {
            result.completeExceptionally(
                new IOException("cannot open an upstream DNS socket: " + f.cause(), f.cause()));
            return;
          }
          Channel ch = (Channel) f.getNow();
          if (sockets.mark() != 0) {
            markRead.accept(MarkedSockets.markOf(ch));
          }
          result.complete(ch);
        });
  }

  /**
   * Opens a TCP socket (marked and checked as above) and connects it to {@code remote} within
   * {@code timeout}. Completes with the connected channel, auto-read off and an empty pipeline, for
   * the caller to add its handlers to and then turn auto-read on; fails (the socket closed) when
   * the mark did not stick or the connection failed.
   */
  CompletableFuture<Channel> connect(InetSocketAddress remote, Duration timeout) {
    CompletableFuture<Channel> result = new CompletableFuture<>();
    open(EpollSocketChannel.class, new ChannelInboundHandlerAdapter())
        .whenComplete(
            (ch, error) -> {
              if (error != null) {
                result.completeExceptionally(error);
                return;
              }
              ch.pipeline().remove(ChannelInboundHandlerAdapter.class);
              ch.config().setAutoRead(false);
              ch.config()
                  .setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
              ch.connect(remote)
                  .addListener(
                      f -> {
                        if (f.isSuccess()) {
                          result.complete(ch);
                        } else {
                          ch.close();
                          result.completeExceptionally(
                              new IOException("cannot connect to " + remote, f.cause()));
                        }
                      });
            });
    return result;
  }

  /** Stops the event loop; sockets still open are closed with it. */
  void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
