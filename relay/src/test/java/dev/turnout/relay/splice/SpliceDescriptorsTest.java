package dev.turnout.relay.splice;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.LibC;
import dev.turnout.relay.SpliceSetup;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What the splice relay costs in file descriptors: an idle connection holds no pipe, and a
 * connection that cannot get one (the process is out of descriptors) still relays every byte.
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
    try (SpliceRelay other = SpliceRelay.startOrNull(1, Duration.ofMinutes(1))) {
      Socket[] first = splice(other, connect(), warmUp);
      transfer(first[0], first[1], 1_000);
      halfClose(first);
      assertThat(warmUp.await(3, TimeUnit.SECONDS)).isTrue();
    }
    CountDownLatch closed = new CountDownLatch(3);
    List<Connected> connected = new ArrayList<>();
    List<SpliceRelay.Sockets> duplicates = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Connected c = connect();
      connected.add(c);
      duplicates.add(relay.duplicate(fd(c.client()), fd(c.upstream())));
    }
    List<Socket[]> pairs = new ArrayList<>();
    List<Integer> fillers = SpliceSetup.useUpDescriptors();
    try {
      for (int i = 0; i < 3; i++) { // duplicated before: adopting takes no descriptor
        pairs.add(splice(relay, duplicates.get(i), connected.get(i), closed));
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
  void withoutDescriptorsToDuplicateNothingIsTakenOverAndItIsCounted() throws Exception {
    Connected c = connect();
    long before = descriptors(fd -> true);
    List<Integer> fillers = SpliceSetup.useUpDescriptors();
    IOException refused = null;
    try {
      LibC.close(fillers.remove(fillers.size() - 1)); // one duplicate, not two
      try {
        splice(relay, c, new CountDownLatch(1));
      } catch (IOException e) {
        refused = e;
      }
    } finally {
      SpliceSetup.release(fillers);
    }
    assertThat(refused).hasMessageContaining("dup");
    assertThat(relay.refused()).isEqualTo(1);
    assertThat(descriptors(fd -> true)).as("the one duplicate made was closed").isEqualTo(before);
    splice(relay, c, new CountDownLatch(1)); // with descriptors back, taken over
    transfer(c.clientPeer(), c.upstreamPeer(), 1_000);
    assertThat(relay.refused()).isEqualTo(1);
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

  private Socket[] splice(SpliceRelay relay, Connected c, CountDownLatch closed)
      throws IOException {
    return splice(relay, relay.duplicate(fd(c.client()), fd(c.upstream())), c, closed);
  }

  private static int fd(Channel channel) {
    return ((EpollSocketChannel) channel).fd().intValue();
  }

  private Socket[] splice(
      SpliceRelay relay, SpliceRelay.Sockets sockets, Connected c, CountDownLatch closed) {
    relay.adopt(
        sockets,
        null,
        false,
        null,
        false,
        new SpliceListener() {
          @Override
          public void transferred(boolean towardUpstream, long bytes) {}

          @Override
          public void closed(Exception failure) {
            if (failure == null) {
              closed.countDown();
            }
          }
        });
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
