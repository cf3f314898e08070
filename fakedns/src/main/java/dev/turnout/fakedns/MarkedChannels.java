package dev.turnout.fakedns;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Opens the sockets of the upstream DNS clients: Netty epoll channels on one small event loop, each
 * carrying {@code SO_MARK} when a mark is configured. In capture-all mode (DESIGN §4) an unmarked
 * upstream query would be routed into Turnout's own TUN and hijacked back to Turnout, so this fails
 * closed: the mark is set before the socket is bound or connected, read back from the kernel, and a
 * socket on which it did not stick is closed and its query failed — Netty itself only logs a
 * warning when an option cannot be set.
 *
 * <p>The event loop (one daemon thread) starts with the first socket and stops at {@link #close}.
 * Thread-safe.
 */
final class MarkedChannels {
  /** {@code SOL_SOCKET}/{@code SO_MARK} on Linux. */
  static final IntegerUnixChannelOption SO_MARK = new IntegerUnixChannelOption("SO_MARK", 1, 36);

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final int mark;
  private final IntConsumer markRead; // test hook: the mark read back from each socket
  private final EventLoopGroup group;

  /**
   * @param mark {@code SO_MARK} for every socket, or 0 for none
   * @param markRead told the mark read back from every socket (before it is used); for tests
   */
  MarkedChannels(int mark, IntConsumer markRead) {
    this.mark = mark;
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
    return mark;
  }

  /**
   * Registers a new channel of {@code type} with {@code handler}, marks it and checks the mark.
   * Completes with the registered, not yet bound channel, or fails (the channel closed) when the
   * mark did not stick.
   */
  CompletableFuture<Channel> open(Class<? extends Channel> type, ChannelHandler handler) {
    if (group.isShuttingDown()) {
      return CompletableFuture.failedFuture(new IOException("DNS client is closed"));
    }
    CompletableFuture<Channel> result = new CompletableFuture<>();
    ChannelFuture registered;
    try {
      registered =
          new Bootstrap()
              .group(group)
              .channel(type)
              .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
              .handler(handler)
              .register();
    } catch (RuntimeException e) { // event loop shut down
      return CompletableFuture.failedFuture(new IOException("DNS client is closed", e));
    }
    registered.addListener(
        f -> {
          Channel ch = registered.channel();
          if (!f.isSuccess()) {
            ch.close();
            result.completeExceptionally(new IOException("cannot open a DNS socket", f.cause()));
            return;
          }
          IOException unsafe = applyMark(ch);
          if (unsafe != null) {
            ch.close();
            result.completeExceptionally(unsafe);
            return;
          }
          result.complete(ch);
        });
    return result;
  }

  /** Returns null when the socket carries the mark (or none is wanted), or why it does not. */
  private IOException applyMark(Channel ch) {
    if (mark == 0) {
      return null;
    }
    try {
      ch.config().setOption(SO_MARK, mark);
      Integer actual = ch.config().getOption(SO_MARK);
      int read = actual == null ? 0 : actual;
      markRead.accept(read);
      if (read != mark) {
        return new IOException(
            "cannot set SO_MARK 0x"
                + Integer.toHexString(mark)
                + " on an upstream DNS socket (needs CAP_NET_ADMIN); not sending unmarked");
      }
      return null;
    } catch (RuntimeException e) {
      return new IOException("cannot set SO_MARK on an upstream DNS socket: " + e, e);
    }
  }

  /** Stops the event loop; sockets still open are closed with it. */
  void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
