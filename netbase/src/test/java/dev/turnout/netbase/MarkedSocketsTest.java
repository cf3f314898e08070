package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.AbstractChannel;
import io.netty.channel.Channel;
import io.netty.channel.ChannelException;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** Real epoll sockets on loopback: the mark is what the kernel reports, not what was asked. */
class MarkedSocketsTest {
  private static final EventLoopGroup GROUP =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());

  @AfterAll
  static void stop() {
    GROUP.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private static Bootstrap udp() {
    return new Bootstrap()
        .group(GROUP)
        .channel(EpollDatagramChannel.class)
        .handler(new ChannelInboundHandlerAdapter());
  }

  private static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }

  @Test
  void aSocketThatCannotBeCreatedFailsTheOpenAtOnce() throws Exception {
    IOException emfile = new IOException("Too many open files");
    Bootstrap failing =
        new Bootstrap()
            .group(GROUP)
            .handler(new ChannelInboundHandlerAdapter())
            .channelFactory(
                () -> {
                  throw new ChannelException(emfile); // what socket(2) failing looks like
                });
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    Logger netty = (Logger) LoggerFactory.getLogger(AbstractChannel.class);
    lines.start();
    netty.addAppender(lines);
    try {
      Future<Channel> open =
          new MarkedSockets(0, null).open(failing, ch -> ch.bind(new InetSocketAddress(0)));
      assertThat(open.await(5, TimeUnit.SECONDS)).as("completed, not pending for ever").isTrue();
      assertThat(open.cause()).hasRootCause(emfile);
      Thread.sleep(100); // the listener's closing runs after the promise fails
    } finally {
      netty.detachAppender(lines);
    }
    // Nothing was created, so nothing is closed: no warning and stack trace per failed dial.
    assertThat(lines.list).isEmpty();
  }

  @Test
  void aMarkedSocketCarriesTheMarkBeforeItIsBound() throws Exception {
    assumeTrue(root(), "setting SO_MARK needs CAP_NET_ADMIN");
    MarkedSockets marked = new MarkedSockets(0x2022, "lo");
    int[] markWhenBound = new int[1];
    Future<Channel> open =
        marked.open(
            udp(),
            ch -> {
              markWhenBound[0] = MarkedSockets.markOf(ch);
              return ch.bind(new InetSocketAddress("127.0.0.1", 0));
            });
    Channel ch = open.get(5, TimeUnit.SECONDS);
    try {
      assertThat(markWhenBound[0]).isEqualTo(0x2022);
      assertThat(MarkedSockets.markOf(ch)).isEqualTo(0x2022);
      assertThat(ch.isActive()).isTrue();
    } finally {
      ch.close().syncUninterruptibly();
    }
  }

  @Test
  void aMarkThatDoesNotStickClosesTheSocketAndFails() throws Exception {
    // A mark cannot be set without CAP_NET_ADMIN; as root, an unknown device fails the same way.
    MarkedSockets unsafe =
        root() ? new MarkedSockets(0x2022, "no-such-dev0") : new MarkedSockets(7, null);
    Channel[] seen = new Channel[1];
    Future<Channel> open =
        unsafe.open(
            udp(),
            ch -> {
              seen[0] = ch;
              return ch.bind(new InetSocketAddress("127.0.0.1", 0));
            });
    assertThat(open.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(open.cause()).isInstanceOf(IOException.class);
    assertThat(seen[0]).as("never bound").isNull();
  }

  @Test
  void withoutAMarkTheOptionIsNeverTouched() throws Exception {
    Channel ch =
        MarkedSockets.NONE
            .open(udp(), c -> c.bind(new InetSocketAddress("127.0.0.1", 0)))
            .get(5, TimeUnit.SECONDS);
    try {
      assertThat(MarkedSockets.markOf(ch)).isZero();
    } finally {
      ch.close().syncUninterruptibly();
    }
  }

  @Test
  void aFailedConnectClosesTheSocket() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Channel[] seen = new Channel[1];
    Future<Channel> open =
        MarkedSockets.NONE.open(
            new Bootstrap()
                .group(GROUP)
                .channel(EpollSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter()),
            ch -> {
              seen[0] = ch;
              return ch.connect(new InetSocketAddress("127.0.0.1", port));
            });
    assertThat(open.await(5, TimeUnit.SECONDS)).isTrue();
    assertThat(open.cause()).isNotNull();
    assertThat(seen[0].closeFuture().await(5, TimeUnit.SECONDS)).isTrue();
  }
}
