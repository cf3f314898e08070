package dev.turnout.inbound.listen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ClientFilter;
import dev.turnout.inbound.FakeAddresses;
import dev.turnout.inbound.InboundStats;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Connections;
import dev.turnout.relay.HalfCloseSafeEpoll;
import dev.turnout.relay.Origin;
import dev.turnout.relay.RelaySettings;
import dev.turnout.relay.Router;
import dev.turnout.relay.tcp.TcpRelay;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The listeners on loopback with real clients (plain sockets speaking the protocols) and real
 * servers, through the real relay, a DIRECT outbound and a router that sends {@code *.blocked.test}
 * to REJECT. Names resolve through a fixed table to 127.0.0.1.
 */
class ListenersTest {
  private static final Authentication ALICE =
      Authentication.of(Map.of("alice", "secret"), List.of());

  private final Connections connections = new Connections(List::of);
  private final Map<String, Integer> routed = new ConcurrentHashMap<>();
  private EventLoopGroup loops;
  private TcpRelay relay;
  private LocalServers servers;
  private Listeners listeners;

  @BeforeEach
  void start() throws Exception {
    loops = new MultiThreadIoEventLoopGroup(2, HalfCloseSafeEpoll.newFactory());
    servers = new LocalServers();
    HostResolver names =
        host ->
            CompletableFuture.completedFuture(
                host.endsWith(".test") ? List.of(LocalServers.LOOPBACK) : List.of());
    Outbound direct = new DirectOutbound(names, a -> false);
    Outbound reject = new RejectOutbound();
    Router router =
        new Router() {
          @Override
          public Route route(Origin origin) {
            routed.merge(origin.inbound().type(), 1, Integer::sum);
            return origin.host() != null && origin.host().endsWith("blocked.test")
                ? new Route("REJECT", "DOMAIN-SUFFIX", "test", reject)
                : new Route("DIRECT", "MATCH", "test", direct);
          }

          @Override
          public boolean mayBlock() {
            return false;
          }
        };
    relay =
        new TcpRelay(
            router,
            Executors.newCachedThreadPool(),
            connections,
            RelaySettings.DEFAULTS.withSpliceThreads(1));
    listeners =
        Listeners.start(
            List.of(
                spec("mixed", ListenerSpec.Kind.MIXED, Authentication.NONE),
                spec("http", ListenerSpec.Kind.HTTP, Authentication.NONE),
                spec("socks", ListenerSpec.Kind.SOCKS, Authentication.NONE),
                spec("private", ListenerSpec.Kind.MIXED, ALICE),
                ListenerSpec.tunnel(
                    "udp-tunnel",
                    new InetSocketAddress(LocalServers.LOOPBACK, 0),
                    new Destination("echo.test", null, servers.udpEcho.getLocalPort()),
                    null,
                    false,
                    true)),
            new Listeners.Environment(
                relay,
                router,
                Runnable::run,
                FakeAddresses.NONE,
                name -> null,
                loops,
                TimeSource.SYSTEM));
  }

  private static ListenerSpec spec(String name, ListenerSpec.Kind kind, Authentication auth) {
    return new ListenerSpec(
        name,
        kind,
        new InetSocketAddress(LocalServers.LOOPBACK, 0),
        kind != ListenerSpec.Kind.HTTP,
        auth,
        ClientFilter.ALL,
        null,
        null);
  }

  @AfterEach
  void stop() throws Exception {
    listeners.close();
    relay.close();
    servers.close();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private InetSocketAddress address(String name) {
    return listeners.listeners().stream()
        .filter(l -> l.spec().name().equals(name))
        .findFirst()
        .orElseThrow()
        .localAddress();
  }

  private static Socket connect(InetSocketAddress address) throws IOException {
    Socket socket = new Socket();
    socket.connect(address, 5000);
    socket.setSoTimeout(10_000);
    return socket;
  }

  /** A SOCKS5 greeting without credentials, then CONNECT {@code host:port}; the reply status. */
  private static int socks5Connect(Socket socket, String host, int port) throws IOException {
    OutputStream out = socket.getOutputStream();
    DataInputStream in = new DataInputStream(socket.getInputStream());
    out.write(new byte[] {5, 1, 0});
    byte[] choice = new byte[2];
    in.readFully(choice);
    assertThat(choice).containsExactly(5, 0);
    return socks5Request(socket, 1, host, port);
  }

  private static int socks5Request(Socket socket, int command, String host, int port)
      throws IOException {
    byte[] name = host.getBytes(StandardCharsets.US_ASCII);
    ByteBuffer request = ByteBuffer.allocate(7 + name.length);
    request.put((byte) 5).put((byte) command).put((byte) 0).put((byte) 3).put((byte) name.length);
    request.put(name).putShort((short) port);
    socket.getOutputStream().write(request.array());
    DataInputStream in = new DataInputStream(socket.getInputStream());
    byte[] reply = new byte[10];
    in.readFully(reply);
    return reply[1];
  }

  private static void assertEchoes(Socket socket, int size) throws IOException {
    byte[] data = new byte[size];
    new Random(size).nextBytes(data);
    Thread writer =
        new Thread(
            () -> {
              try {
                socket.getOutputStream().write(data);
              } catch (IOException ignored) {
                // the read below fails
              }
            });
    writer.start();
    byte[] back = new byte[size];
    new DataInputStream(socket.getInputStream()).readFully(back);
    assertThat(Arrays.equals(back, data)).as("%d bytes echoed intact", size).isTrue();
  }

  @Test
  void socks5ConnectByNameRelaysAMegabyteBothWays() throws Exception {
    try (Socket socket = connect(address("socks"))) {
      assertThat(socks5Connect(socket, "echo.test", servers.echo.getLocalPort())).isZero();
      assertEchoes(socket, 1 << 20);
      assertThat(connections.snapshot())
          .singleElement()
          .satisfies(
              c -> {
                assertThat(c.inbound().type()).isEqualTo("Socks5");
                assertThat(c.inbound().name()).isEqualTo("socks");
                assertThat(c.origin().host()).isEqualTo("echo.test");
              });
    }
    awaitTrue(() -> connections.count() == 0);
  }

  @Test
  void aRejectedDestinationIsAnsweredNotAllowedByRuleset() throws Exception {
    try (Socket socket = connect(address("mixed"))) {
      assertThat(socks5Connect(socket, "ads.blocked.test", 80)).isEqualTo(2);
      assertThat(socket.getInputStream().read()).as("closed").isEqualTo(-1);
    }
  }

  @Test
  void anUnreachablePortIsAnsweredConnectionRefused() throws Exception {
    int closed;
    try (ServerSocket s = new ServerSocket(0, 1, LocalServers.LOOPBACK)) {
      closed = s.getLocalPort();
    }
    try (Socket socket = connect(address("socks"))) {
      assertThat(socks5Connect(socket, "echo.test", closed)).isEqualTo(5);
    }
  }

  @Test
  void httpConnectTunnelsOnTheHttpAndTheMixedPort() throws Exception {
    for (String listener : List.of("http", "mixed")) {
      try (Socket socket = connect(address(listener))) {
        int port = servers.echo.getLocalPort();
        socket
            .getOutputStream()
            .write(
                ("CONNECT echo.test:" + port + " HTTP/1.1\r\nHost: echo.test:" + port + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
        assertThat(readHead(socket.getInputStream()))
            .isEqualTo("HTTP/1.1 200 Connection established\r\n\r\n");
        assertEchoes(socket, 300_000);
      }
    }
    assertThat(routed.get("HTTPS")).isEqualTo(2);
  }

  @Test
  void plainRequestsOnOneConnectionGoToTwoHostsAndKeepBothUpstreams() throws Exception {
    int a = servers.http("A");
    int b = servers.http("B");
    try (Socket socket = connect(address("http"))) {
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      for (int round = 0; round < 3; round++) {
        out.write(get("http://a.test:" + a + "/x" + round));
        assertThat(body(in)).isEqualTo("A /x" + round + " a.test:" + a);
        out.write(get("http://b.test:" + b + "/y" + round));
        assertThat(body(in)).isEqualTo("B /y" + round + " b.test:" + b);
      }
      assertThat(connections.snapshot())
          .as("one upstream per host, kept while the client keeps alive")
          .hasSize(2)
          .allSatisfy(c -> assertThat(c.inbound().type()).isEqualTo("HTTP"));
    }
    awaitTrue(() -> connections.count() == 0);
    assertThat(routed.get("HTTP")).isEqualTo(2);
  }

  @Test
  void credentialsOnBothProtocols() throws Exception {
    try (Socket socket = connect(address("private"))) {
      socket.getOutputStream().write(get("http://a.test:1/"));
      assertThat(readHead(socket.getInputStream()))
          .startsWith("HTTP/1.1 407 Proxy Authentication Required");
    }
    try (Socket socket = connect(address("private"))) {
      OutputStream out = socket.getOutputStream();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      out.write(new byte[] {5, 2, 0, 2});
      byte[] choice = new byte[2];
      in.readFully(choice);
      assertThat(choice).containsExactly(5, 2);
      out.write(new byte[] {1, 5, 'a', 'l', 'i', 'c', 'e', 6, 's', 'e', 'c', 'r', 'e', 't'});
      in.readFully(choice);
      assertThat(choice).containsExactly(1, 0);
      assertThat(socks5Request(socket, 1, "echo.test", servers.echo.getLocalPort())).isZero();
      assertEchoes(socket, 1000);
      assertThat(connections.snapshot())
          .singleElement()
          .satisfies(c -> assertThat(c.inbound().user()).isEqualTo("alice"));
    }
    assertThat(listeners.stats().count(InboundStats.Event.AUTH_FAILED)).isEqualTo(1);
  }

  @Test
  void udpAssociateEchoesThroughTheRulesAndEndsWithItsControlConnection() throws Exception {
    try (Socket control = connect(address("socks"));
        DatagramSocket udp = new DatagramSocket(0, LocalServers.LOOPBACK);
        DatagramSocket stranger = new DatagramSocket(0, LocalServers.LOOPBACK)) {
      udp.setSoTimeout(5000);
      OutputStream out = control.getOutputStream();
      DataInputStream in = new DataInputStream(control.getInputStream());
      out.write(new byte[] {5, 1, 0});
      in.readFully(new byte[2]);
      out.write(new byte[] {5, 3, 0, 1, 0, 0, 0, 0, 0, 0});
      byte[] reply = new byte[10];
      in.readFully(reply);
      assertThat(reply[1]).as("granted").isZero();
      InetSocketAddress relayAt =
          new InetSocketAddress(
              InetAddress.getByAddress(Arrays.copyOfRange(reply, 4, 8)),
              ((reply[8] & 0xff) << 8) | (reply[9] & 0xff));
      assertThat(relayAt).isEqualTo(address("socks"));

      int echo = servers.udpEcho.getLocalPort();
      for (int i = 0; i < 50; i++) {
        byte[] payload = ("datagram " + i).getBytes(StandardCharsets.US_ASCII);
        byte[] sent =
            i % 2 == 0
                ? header("echo.test", echo, payload)
                : header(LocalServers.LOOPBACK, echo, payload);
        udp.send(new DatagramPacket(sent, sent.length, relayAt));
        DatagramPacket back = new DatagramPacket(new byte[2048], 2048);
        udp.receive(back);
        byte[] got = Arrays.copyOf(back.getData(), back.getLength());
        assertThat(got).as("the reply names what the client sent to").isEqualTo(sent);
      }
      assertThat(connections.snapshot())
          .as("one flow per destination")
          .hasSize(2)
          .allSatisfy(
              c -> {
                assertThat(c.origin().udp()).isTrue();
                assertThat(c.inbound().type()).isEqualTo("Socks5");
                assertThat(c.upload()).isPositive();
                assertThat(c.download()).isPositive();
              });

      byte[] fragment = header("echo.test", echo, new byte[] {1});
      fragment[2] = 1;
      udp.send(new DatagramPacket(fragment, fragment.length, relayAt));
      byte[] other = header("echo.test", echo, new byte[] {2});
      stranger.send(new DatagramPacket(other, other.length, relayAt));
      awaitTrue(() -> listeners.stats().count(InboundStats.Event.UDP_FRAGMENT) == 1);
      awaitTrue(() -> listeners.stats().count(InboundStats.Event.UDP_NOT_ASSOCIATED) == 1);

      control.close();
      awaitTrue(() -> connections.count() == 0);
      udp.send(new DatagramPacket(other, other.length, relayAt));
      awaitTrue(() -> listeners.stats().count(InboundStats.Event.UDP_NOT_ASSOCIATED) == 2);
    }
  }

  @Test
  void aPortInUseFailsTheStartAndNamesTheListener() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, LocalServers.LOOPBACK)) {
      ListenerSpec clash =
          new ListenerSpec(
              "clash",
              ListenerSpec.Kind.HTTP,
              new InetSocketAddress(LocalServers.LOOPBACK, taken.getLocalPort()),
              false,
              Authentication.NONE,
              ClientFilter.ALL,
              null,
              null);
      ListenerSpec fine =
          new ListenerSpec(
              "fine",
              ListenerSpec.Kind.HTTP,
              new InetSocketAddress(LocalServers.LOOPBACK, 0),
              false,
              Authentication.NONE,
              ClientFilter.ALL,
              null,
              null);
      assertThatThrownBy(
              () ->
                  Listeners.start(
                      List.of(fine, clash),
                      new Listeners.Environment(
                          relay,
                          null,
                          Runnable::run,
                          FakeAddresses.NONE,
                          n -> null,
                          loops,
                          TimeSource.SYSTEM)))
          .hasMessageContaining("clash (http) on 127.0.0.1:" + taken.getLocalPort());
    }
  }

  private static byte[] header(String host, int port, byte[] payload) {
    byte[] name = host.getBytes(StandardCharsets.US_ASCII);
    return ByteBuffer.allocate(7 + name.length + payload.length)
        .put(new byte[] {0, 0, 0, 3, (byte) name.length})
        .put(name)
        .putShort((short) port)
        .put(payload)
        .array();
  }

  private static byte[] header(InetAddress address, int port, byte[] payload) {
    return ByteBuffer.allocate(10 + payload.length)
        .put(new byte[] {0, 0, 0, 1})
        .put(address.getAddress())
        .putShort((short) port)
        .put(payload)
        .array();
  }

  private static byte[] get(String url) {
    return ("GET " + url + " HTTP/1.1\r\nUser-Agent: test\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
  }

  /** The head of a response, up to and with its empty line. */
  private static String readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        break;
      }
      head.write(b);
    }
    return head.toString(StandardCharsets.ISO_8859_1);
  }

  /** The body of a response with a Content-Length. */
  private static String body(InputStream in) throws IOException {
    String head = readHead(in);
    assertThat(head).startsWith("HTTP/1.1 200");
    int length = -1;
    for (String line : head.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    byte[] body = new byte[length];
    new DataInputStream(in).readFully(body);
    return new String(body, StandardCharsets.UTF_8);
  }

  /**
   * A UDP-only tunnel: each client's datagrams go to the tunnel's target (by name, through the
   * rules) and the echoes come back from the tunnel's address; each client is a listed flow.
   */
  @Test
  void aUdpTunnelCarriesEachClientsDatagramsAsAFlowOfItsOwn() throws Exception {
    InetSocketAddress tunnel = address("udp-tunnel");
    try (DatagramSocket a = new DatagramSocket(0, LocalServers.LOOPBACK);
        DatagramSocket b = new DatagramSocket(0, LocalServers.LOOPBACK)) {
      for (int i = 0; i < 20; i++) {
        DatagramSocket client = i % 2 == 0 ? a : b;
        client.setSoTimeout(5000);
        byte[] sent = ("tunnelled " + i).getBytes(StandardCharsets.US_ASCII);
        client.send(new DatagramPacket(sent, sent.length, tunnel));
        DatagramPacket back = new DatagramPacket(new byte[2048], 2048);
        client.receive(back);
        assertThat(Arrays.copyOf(back.getData(), back.getLength())).isEqualTo(sent);
        assertThat(back.getSocketAddress()).as("from the tunnel").isEqualTo(tunnel);
      }
      assertThat(connections.snapshot())
          .as("one flow per client")
          .hasSize(2)
          .allSatisfy(
              c -> {
                assertThat(c.origin().udp()).isTrue();
                assertThat(c.origin().host()).isEqualTo("echo.test");
                assertThat(c.inbound().type()).isEqualTo("Tunnel");
                assertThat(c.inbound().name()).isEqualTo("udp-tunnel");
                assertThat(c.upload()).isEqualTo(c.download()).isPositive();
              });
    }
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("condition within 5 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }
}
