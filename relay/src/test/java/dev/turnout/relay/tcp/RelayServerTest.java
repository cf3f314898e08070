package dev.turnout.relay.tcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.natrewrite.NatFlow;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.Connections;
import dev.turnout.relay.HalfCloseSafeEpoll;
import dev.turnout.relay.Inbound;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Origins;
import dev.turnout.relay.RelaySettings;
import dev.turnout.relay.Router;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay on loopback, without TUN or root: a fake {@link Origins} stands in for the NAT and
 * sends every accepted connection to a real echo server on 127.0.0.1.
 */
class RelayServerTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private EventLoopGroup loops;
  private ExecutorService blocking;
  private ServerSocket echo;
  private RelayServer relay;
  private TcpRelay tcpRelay;
  private final Connections connections = new Connections(policy -> List.of(policy, "leaf"));
  private final Set<InetSocketAddress> released = ConcurrentHashMap.newKeySet();
  private volatile String policy = "DIRECT";
  private volatile boolean fromNat = true;
  private volatile long routeDelayMillis;
  private volatile int targetPort;

  /** Threads of the splice relay; this class copies through Netty, {@link SplicedRelayTest} not. */
  int spliceThreads() {
    return 0;
  }

  @BeforeEach
  void start() throws Exception {
    loops = new MultiThreadIoEventLoopGroup(2, HalfCloseSafeEpoll.newFactory());
    blocking = Executors.newCachedThreadPool();
    echo = new ServerSocket(0, 50, LOOPBACK);
    Thread echoThread = new Thread(this::serveEcho, "echo");
    echoThread.setDaemon(true);
    echoThread.start();
    Origins origins =
        new Origins() {
          @Override
          public Optional<Origin> claim(InetSocketAddress peer) {
            if (!fromNat) {
              return Optional.empty();
            }
            int port = targetPort != 0 ? targetPort : echo.getLocalPort();
            InetSocketAddress dialed = new InetSocketAddress("198.18.3.7", port);
            return Optional.of(new Origin(false, peer, dialed, null, LOOPBACK));
          }

          @Override
          public void release(InetSocketAddress peer) {
            released.add(peer);
          }

          @Override
          public Optional<NatFlow> udpFlow(InetSocketAddress peer) {
            return Optional.empty();
          }

          @Override
          public Optional<Origin> udpOrigin(NatFlow flow) {
            throw new AssertionError("no UDP here");
          }

          @Override
          public void udpClosed(Origin origin) {}
        };
    Map<String, Outbound> outbounds =
        Map.of(
            "DIRECT",
            new DirectOutbound(
                host -> {
                  throw new AssertionError("no names here");
                },
                a -> false),
            "REJECT",
            new RejectOutbound());
    Router router =
        new Router() {
          @Override
          public Route route(Origin origin) {
            if (routeDelayMillis > 0) {
              try {
                Thread.sleep(routeDelayMillis); // the client's bytes arrive while "dialing"
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
            return new Route(policy, "MATCH", "test", outbounds.get(policy));
          }

          @Override
          public boolean mayBlock() {
            return true;
          }
        };
    tcpRelay =
        new TcpRelay(
            router,
            blocking,
            connections,
            RelaySettings.DEFAULTS
                .withIdleTimeout(java.time.Duration.ofMillis(2000))
                .withSpliceThreads(spliceThreads()));
    relay = RelayServer.start(new InetSocketAddress(LOOPBACK, 0), loops, origins, tcpRelay);
  }

  /** Echoes everything, and on end of input writes "bye" and closes: shows half-close works. */
  private void serveEcho() {
    while (!echo.isClosed()) {
      try {
        Socket socket = echo.accept();
        new Thread(
                () -> {
                  try (socket) {
                    InputStream in = socket.getInputStream();
                    OutputStream out = socket.getOutputStream();
                    byte[] buffer = new byte[65536];
                    for (int n; (n = in.read(buffer)) > 0; ) {
                      out.write(buffer, 0, n);
                    }
                    out.write("bye".getBytes());
                  } catch (IOException ignored) {
                    // the test asserts what the client saw
                  }
                })
            .start();
      } catch (IOException e) {
        return;
      }
    }
  }

  @AfterEach
  void stop() throws Exception {
    relay.close();
    tcpRelay.close();
    echo.close();
    blocking.shutdownNow();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private Socket connect() throws IOException {
    Socket socket = new Socket();
    socket.connect(relayAddress(), 5000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  /**
   * Connects and reads: a reset may reach the client while its connect() is still polling (the
   * relay resets as soon as it accepts), or on the read.
   */
  private void connectAndRead() throws IOException {
    try (Socket socket = connect()) {
      socket.getInputStream().read();
    }
  }

  private InetSocketAddress relayAddress() throws IOException {
    return relay.localAddress();
  }

  @Test
  void bytesGoBothWaysIntactAndHalfCloseReachesTheServer() throws Exception {
    byte[] payload = new byte[8 * 1024 * 1024];
    new Random(1).nextBytes(payload);
    try (Socket socket = connect()) {
      Thread writer =
          new Thread(
              () -> {
                try {
                  socket.getOutputStream().write(payload);
                  socket.shutdownOutput();
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              });
      writer.start();
      byte[] received = socket.getInputStream().readAllBytes();
      writer.join();
      assertThat(received.length).isEqualTo(payload.length + 3);
      assertThat(Arrays.equals(received, 0, payload.length, payload, 0, payload.length)).isTrue();
      assertThat(new String(received, payload.length, 3)).isEqualTo("bye");
    }
    assertThat(tcpRelay.stats().accepted()).isEqualTo(1);
    assertThat(tcpRelay.stats().spliced()).isEqualTo(spliceThreads() > 0 ? 1 : 0);
  }

  @Test
  void theSessionIsReleasedWhenTheConnectionCloses() throws Exception {
    InetSocketAddress local;
    try (Socket socket = connect()) {
      local = (InetSocketAddress) socket.getLocalSocketAddress();
      socket.shutdownOutput();
      assertThat(new String(socket.getInputStream().readAllBytes())).isEqualTo("bye");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!released.contains(local) && System.nanoTime() < deadline) {
      Thread.sleep(10);
    }
    assertThat(released).contains(local);
  }

  @Test
  void aSilentConnectionIsClosedAfterTheIdleTimeout() throws Exception {
    try (Socket socket = connect()) {
      socket.getOutputStream().write("ping".getBytes());
      byte[] echo = socket.getInputStream().readNBytes(4);
      assertThat(new String(echo)).isEqualTo("ping");
      long start = System.nanoTime();
      // the relay closes both sides; the echo server then writes "bye" into a closed socket
      assertThat(socket.getInputStream().read()).isEqualTo(-1);
      assertThat(System.nanoTime() - start).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1500));
    }
  }

  @Test
  void rejectResetsTheConnection() throws Exception {
    policy = "REJECT";
    assertThatThrownBy(this::connectAndRead).isInstanceOf(SocketException.class);
  }

  @Test
  void connectionsThatDidNotComeThroughTheNatAreResetAndCounted() throws Exception {
    fromNat = false;
    assertThatThrownBy(this::connectAndRead).isInstanceOf(SocketException.class);
    assertThat(tcpRelay.stats().notFromNat()).isEqualTo(1);
    assertThat(tcpRelay.stats().accepted()).isZero();
  }

  @Test
  void manyConcurrentConnectionsAllArriveIntact() throws Exception {
    List<Thread> threads = new java.util.ArrayList<>();
    Set<Integer> ok = ConcurrentHashMap.newKeySet();
    for (int i = 0; i < 50; i++) {
      int id = i;
      Thread t =
          new Thread(
              () -> {
                try (Socket socket = connect()) {
                  byte[] message = ("hello " + id).getBytes();
                  socket.getOutputStream().write(message);
                  socket.shutdownOutput();
                  String back = new String(socket.getInputStream().readAllBytes());
                  if (back.equals("hello " + id + "bye")) {
                    ok.add(id);
                  }
                } catch (IOException e) {
                  // counted as missing below
                }
              });
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join(20_000);
    }
    assertThat(ok).hasSize(50);
  }

  /**
   * A keep-alive conversation: many small requests, each answered before the next is sent. Each
   * turn's read comes up short, which ends the splice loop's turn without asking again; the next
   * request, and the end of input that follows the last one, must still be seen.
   */
  @Test
  void requestsAndAnswersInManySmallTurnsAllArrive() throws Exception {
    Random random = new Random(3);
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (int turn = 0; turn < 300; turn++) {
        byte[] request = new byte[1 + random.nextInt(3000)];
        random.nextBytes(request);
        out.write(request);
        assertThat(in.readNBytes(request.length)).as("turn %d", turn).isEqualTo(request);
      }
      out.write("last".getBytes());
      socket.shutdownOutput();
      assertThat(new String(in.readAllBytes())).isEqualTo("lastbye");
    }
  }

  @Test
  void bytesAndEndOfInputSentWhileDialingArriveInOrder() throws Exception {
    routeDelayMillis = 300;
    try (Socket socket = connect()) {
      socket.getOutputStream().write("early bytes".getBytes());
      socket.shutdownOutput();
      assertThat(new String(socket.getInputStream().readAllBytes())).isEqualTo("early bytesbye");
    }
  }

  /**
   * A client that half-closes first and then reads a large answer slowly: its side of the relay has
   * input shut and nothing to wait for, then needs to wait for room to write.
   */
  @Test
  void aLargeAnswerAfterTheClientHalfClosesArrivesWhole() throws Exception {
    byte[] answer = new byte[8 * 1024 * 1024];
    new Random(2).nextBytes(answer);
    try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
      Thread serving =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  s.getInputStream().readAllBytes(); // the request, up to its end
                  s.getOutputStream().write(answer);
                } catch (IOException ignored) {
                  // the client's view is what is asserted
                }
              });
      serving.start();
      targetPort = server.getLocalPort();
      try (Socket socket = connect()) {
        socket.getOutputStream().write("GET".getBytes());
        socket.shutdownOutput();
        Thread.sleep(300); // the answer fills every buffer on the way before the first read
        byte[] received = socket.getInputStream().readAllBytes();
        assertThat(received.length).isEqualTo(answer.length);
        assertThat(Arrays.equals(received, answer)).isTrue();
      }
      serving.join(5_000);
    }
  }

  @Test
  void urgentDataNeitherStallsNorEndsTheStream() throws Exception {
    try (Socket socket = connect()) {
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      out.write("abc".getBytes());
      assertThat(new String(in.readNBytes(3))).isEqualTo("abc"); // relaying by now
      socket.setSoTimeout(3_000);
      socket.sendUrgentData('!'); // a plain read skips the urgent byte; so does the relay
      out.write("def".getBytes());
      assertThat(new String(in.readNBytes(3))).isEqualTo("def");
      socket.sendUrgentData('?');
      socket.shutdownOutput(); // end of input right behind the urgent mark
      assertThat(new String(in.readAllBytes())).isEqualTo("bye");
    }
  }

  @Test
  void anUpstreamThatResetsMidStreamClosesTheClientAndNothingElse() throws Exception {
    try (ServerSocket resetting = new ServerSocket(0, 50, LOOPBACK);
        Socket healthy = connect()) {
      healthy.getOutputStream().write("still here".getBytes());
      assertThat(new String(healthy.getInputStream().readNBytes(10))).isEqualTo("still here");
      Thread server =
          new Thread(
              () -> {
                try (Socket s = resetting.accept()) {
                  s.getOutputStream().write(new byte[100_000]);
                  s.getInputStream().readNBytes(1);
                  s.setSoLinger(true, 0); // close with RST
                } catch (IOException ignored) {
                  // the client's view is what is asserted
                }
              });
      server.start();
      targetPort = resetting.getLocalPort();
      try (Socket socket = connect()) {
        assertThat(socket.getInputStream().readNBytes(100_000)).hasSize(100_000);
        socket.getOutputStream().write(1);
        assertThatThrownBy(
                () -> {
                  while (socket.getInputStream().read() >= 0) {
                    // drain until the close arrives
                  }
                  throw new SocketException("closed");
                })
            .isInstanceOf(SocketException.class);
      }
      server.join(5_000);
      healthy.getOutputStream().write("after".getBytes());
      assertThat(new String(healthy.getInputStream().readNBytes(5))).isEqualTo("after");
    }
  }

  @Test
  void aLiveConnectionIsListedWithItsBytesAndLeavesTheListWhenItEnds() throws Exception {
    try (Socket socket = connect()) {
      socket.getOutputStream().write(new byte[100_000]);
      assertThat(socket.getInputStream().readNBytes(100_000)).hasSize(100_000);
      awaitTrue(() -> connections.count() == 1);
      Connection listed = connections.snapshot().iterator().next();
      assertThat(listed.route().policy()).isEqualTo("DIRECT");
      assertThat(listed.chain()).containsExactly("DIRECT", "leaf");
      assertThat(listed.inbound()).isEqualTo(Inbound.TUN);
      assertThat(listed.origin().dialed().getHostString()).isEqualTo("198.18.3.7");
      awaitTrue(() -> listed.upload() == 100_000 && listed.download() == 100_000);
      socket.shutdownOutput();
      assertThat(new String(socket.getInputStream().readAllBytes())).isEqualTo("bye");
    }
    awaitTrue(() -> connections.count() == 0);
    assertThat(connections.uploadTotal()).isEqualTo(100_000);
    assertThat(connections.downloadTotal()).isEqualTo(100_003);
  }

  @Test
  void closingAConnectionByIdResetsTheApplicationAtOnce() throws Exception {
    try (Socket socket = connect();
        Socket other = connect()) {
      socket.getOutputStream().write("live".getBytes());
      assertThat(new String(socket.getInputStream().readNBytes(4))).isEqualTo("live");
      other.getOutputStream().write("also".getBytes());
      assertThat(new String(other.getInputStream().readNBytes(4))).isEqualTo("also");
      awaitTrue(() -> connections.count() == 2);
      InetSocketAddress mine = (InetSocketAddress) socket.getLocalSocketAddress();
      Connection target =
          connections.snapshot().stream()
              .filter(c -> c.origin().source().getPort() == mine.getPort())
              .findFirst()
              .orElseThrow();
      long start = System.nanoTime();
      assertThat(connections.close(target.id())).isTrue();
      assertThatThrownBy(
              () -> {
                while (socket.getInputStream().read() >= 0) {
                  // the echo has nothing more to say; only the close can end this
                }
                throw new SocketException("ended without a reset");
              })
          .isInstanceOf(SocketException.class)
          .hasMessageContaining("reset");
      assertThat(System.nanoTime() - start).isLessThan(TimeUnit.SECONDS.toNanos(2));
      awaitTrue(() -> connections.count() == 1);
      assertThat(connections.close(target.id())).isFalse();
      other.getOutputStream().write("untouched".getBytes());
      assertThat(new String(other.getInputStream().readNBytes(9))).isEqualTo("untouched");
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 5 s");
      }
      Thread.sleep(10);
    }
  }
}
