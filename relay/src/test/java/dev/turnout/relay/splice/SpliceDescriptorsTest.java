package dev.turnout.relay.splice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.relay.SpliceSetup;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollSocketChannel;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the splice relay costs in file descriptors: taking a connection over takes none, an idle
 * connection holds no pipe, and a connection that cannot get one (the process is out of
 * descriptors) still relays every byte.
 */
class SpliceDescriptorsTest {
  private final Random random = new Random(14);
  private final List<AutoCloseable> open = new ArrayList<>();
  private SpliceSetup setup;
  private EventLoopGroup loops;
  private SpliceRelay relay;
  private ServerSocket servers;

  @BeforeEach
  void start() throws Exception {
    setup = new SpliceSetup(200);
    loops = setup.loops;
    relay = setup.relay;
    servers = setup.servers;
  }

  @AfterEach
  void stop() throws Exception {
    for (AutoCloseable c : open) {
      c.close();
    }
    setup.close();
  }

  @Test
  void aConnectionGivesItsPipesBackOnceTheyAreEmpty() throws Exception {
    long before = pipeDescriptors();
    List<Socket[]> pairs = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      Socket[] pair = splicedPair(new CountDownLatch(1));
      pairs.add(pair);
      transfer(pair[0], pair[1], 100_000);
      transfer(pair[1], pair[0], 100_000);
    }
    // 40 connections kept a pipe per direction before: 160 descriptors. Now the pool keeps the
    // few that were ever in use at once.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
    while (pipeDescriptors() - before > 8 && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(pipeDescriptors() - before).isLessThanOrEqualTo(8);
    for (Socket[] pair : pairs) { // and they still work
      transfer(pair[0], pair[1], 1_000);
    }
    assertThat(relay.copiedWithoutPipe()).isZero();
  }

  @Test
  void withoutDescriptorsForPipesTheBytesAreCopiedAndNothingIsLost() throws Exception {
    // Out of descriptors no class can be loaded either: a first connection, on a relay of its own
    // (whose pool of pipes goes with it), loads what relaying needs.
    CountDownLatch warmUp = new CountDownLatch(1);
    try (SpliceRelay other = SpliceRelay.createOrNull(Duration.ofMinutes(1))) {
      Socket[] first = splice(other, connect(), warmUp);
      transfer(first[0], first[1], 1_000);
      halfClose(first);
      assertThat(warmUp.await(3, TimeUnit.SECONDS)).isTrue();
    }
    CountDownLatch closed = new CountDownLatch(3);
    List<Connected> connected = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      connected.add(connect());
    }
    List<Socket[]> pairs = new ArrayList<>();
    List<Integer> fillers = SpliceSetup.useUpDescriptors();
    try {
      for (Connected c : connected) { // adopting takes no descriptor
        pairs.add(splice(relay, c, closed));
      }
      for (Socket[] pair : pairs) { // pipe2 fails now: every byte goes through user space
        transfer(pair[0], pair[1], 1 << 20);
        transfer(pair[1], pair[0], 1 << 20);
      }
    } finally {
      SpliceSetup.release(fillers);
    }
    long copied = relay.copiedWithoutPipe();
    assertThat(copied).isPositive();
    for (Socket[] pair : pairs) { // with descriptors back, splice again: nothing more is copied
      transfer(pair[0], pair[1], 1 << 20);
    }
    assertThat(relay.copiedWithoutPipe()).isEqualTo(copied);
    for (Socket[] pair : pairs) {
      halfClose(pair);
    }
    assertThat(closed.await(3, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void takingAConnectionOverTakesNoDescriptorAndItsListenerRunsOnItsLoop() throws Exception {
    Connected c = connect();
    long sockets = descriptors(fd -> !isPipe(fd));
    CompletableFuture<Boolean> onLoop = new CompletableFuture<>();
    splice(relay, c, onLoop);
    transfer(c.clientPeer(), c.upstreamPeer(), 100_000);
    transfer(c.upstreamPeer(), c.clientPeer(), 100_000);
    assertThat(descriptors(fd -> !isPipe(fd)))
        .as("the relay works on the two sockets themselves, not on copies of them")
        .isEqualTo(sockets);
    halfClose(new Socket[] {c.clientPeer(), c.upstreamPeer()});
    assertThat(onLoop.get(3, TimeUnit.SECONDS)).as("closed() heard on the sockets' loop").isTrue();
  }

  /** Half-close passes in both ways, after which the relay lets go. */
  private static void halfClose(Socket[] pair) throws IOException {
    pair[0].shutdownOutput();
    assertThat(pair[1].getInputStream().read()).isEqualTo(-1);
    pair[1].shutdownOutput();
    assertThat(pair[0].getInputStream().read()).isEqualTo(-1);
  }

  /** Two loopback connections, not yet spliced. */
  private record Connected(
      Channel client, Socket clientPeer, Channel upstream, Socket upstreamPeer) {}

  private Connected connect() throws Exception {
    Channel client = channel();
    Socket clientPeer = accept();
    Channel upstream = channel();
    Socket upstreamPeer = accept();
    client.deregister().sync();
    upstream.deregister().sync();
    return new Connected(client, clientPeer, upstream, upstreamPeer);
  }

  /** Two loopback connections spliced together: {client peer, upstream peer}. */
  private Socket[] splicedPair(CountDownLatch closed) throws Exception {
    return splice(relay, connect(), closed);
  }

  private Socket[] splice(SpliceRelay relay, Connected c, CountDownLatch closed) throws Exception {
    CompletableFuture<Boolean> ended = new CompletableFuture<>();
    ended.thenAccept(
        clean -> {
          if (clean) {
            closed.countDown();
          }
        });
    return splice(relay, c, ended);
  }

  private static EpollSocketChannel epoll(Channel channel) {
    return (EpollSocketChannel) channel;
  }

  /**
   * Hands the pair to {@code relay} on its loop; {@code ended} completes when the relay lets go:
   * true after a clean end heard on that loop.
   */
  private Socket[] splice(SpliceRelay relay, Connected c, CompletableFuture<Boolean> ended)
      throws Exception {
    IoEventLoop loop = (IoEventLoop) c.client().eventLoop();
    loop.submit(
            () ->
                relay.adopt(
                    loop,
                    epoll(c.client()).fd(),
                    epoll(c.upstream()).fd(),
                    null,
                    false,
                    null,
                    false,
                    new SpliceListener() {
                      @Override
                      public void transferred(boolean towardUpstream, long bytes) {}

                      @Override
                      public void closed(Exception failure) {
                        ended.complete(failure == null && loop.inEventLoop());
                      }
                    }))
        .sync();
    return new Socket[] {c.clientPeer(), c.upstreamPeer()};
  }

  private Channel channel() throws InterruptedException {
    Channel channel = setup.connect(loops);
    open.add(() -> channel.close().sync());
    return channel;
  }

  private Socket accept() throws IOException {
    Socket socket = servers.accept();
    socket.setSoTimeout(10_000);
    open.add(socket);
    return socket;
  }

  /** Sends {@code size} random bytes from one end and checks they all arrive, in order. */
  private void transfer(Socket from, Socket to, int size) throws Exception {
    byte[] sent = new byte[size];
    random.nextBytes(sent);
    Thread writer =
        new Thread(
            () -> {
              try {
                from.getOutputStream().write(sent);
              } catch (IOException e) {
                // the reader sees the bytes missing
              }
            });
    writer.start();
    byte[] received = new byte[size];
    InputStream in = to.getInputStream();
    int got = 0;
    while (got < size) {
      int n = in.read(received, got, size - got);
      if (n < 0) {
        break;
      }
      got += n;
    }
    writer.join(10_000);
    assertThat(got).isEqualTo(size);
    assertThat(received).isEqualTo(sent);
  }

  private static long pipeDescriptors() throws IOException {
    return descriptors(SpliceDescriptorsTest::isPipe);
  }

  private static long descriptors(Predicate<Path> which) throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.filter(which).count();
    }
  }

  private static boolean isPipe(Path fd) {
    try {
      return Files.readSymbolicLink(fd).toString().startsWith("pipe:");
    } catch (IOException e) {
      return false; // closed meanwhile
    }
  }
}
