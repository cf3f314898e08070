package dev.turnout.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.natrewrite.NatFlow;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.RejectOutbound;
import dev.turnout.relay.Connection;
import dev.turnout.relay.Connections;
import dev.turnout.relay.HalfCloseSafeEpoll;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Origins;
import dev.turnout.relay.Router;
import dev.turnout.relay.Sniffer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The UDP relay on loopback, without TUN or root: a fake {@link Origins} stands in for the NAT
 * (every peer is a session whose flow was sent to 198.18.3.7:{echo port}, meaning 127.0.0.1),
 * DIRECT carries the datagrams to a real UDP echo socket, and the idle clock is a fake.
 */
class UdpRelayTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final Inet4Address FAKE = (Inet4Address) address("198.18.3.7");

  private EventLoopGroup loops;
  private ExecutorService blocking;
  private DatagramSocket echo;
  private UdpRelay relay;
  private final Connections connections = new Connections(Connections.POLICY_ONLY);
  private final ManualTimeSource clock = new ManualTimeSource();
  private final Map<InetSocketAddress, NatFlow> flows = new ConcurrentHashMap<>();
  private final List<Origin> closed = new CopyOnWriteArrayList<>();
  private volatile String policy = "DIRECT";
  private volatile Sniffer sniffer = Sniffer.OFF;
  private final List<Origin> routed = new CopyOnWriteArrayList<>();
  private final java.util.Set<String> sent = java.util.concurrent.ConcurrentHashMap.newKeySet();

  @BeforeEach
  void start() throws Exception {
    loops = new MultiThreadIoEventLoopGroup(1, HalfCloseSafeEpoll.newFactory());
    blocking = Executors.newCachedThreadPool();
    echo = new DatagramSocket(0, LOOPBACK);
    Thread echoThread = new Thread(this::serveEcho, "udp-echo");
    echoThread.setDaemon(true);
    echoThread.start();
    Origins origins =
        new Origins() {
          @Override
          public Optional<Origin> claim(InetSocketAddress peer) {
            throw new AssertionError("no TCP here");
          }

          @Override
          public void release(InetSocketAddress peer) {
            throw new AssertionError("no TCP here");
          }

          @Override
          public Optional<NatFlow> udpFlow(InetSocketAddress peer) {
            return Optional.ofNullable(flows.computeIfAbsent(peer, UdpRelayTest.this::flowOf));
          }

          @Override
          public Optional<Origin> udpOrigin(NatFlow flow) {
            return Optional.of(new Origin(true, flow.source(), flow.destination(), null, LOOPBACK));
          }

          @Override
          public void udpClosed(Origin origin) {
            closed.add(origin);
          }
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
            routed.add(origin);
            return new Route(policy, "MATCH", "test", outbounds.get(policy));
          }

          @Override
          public Sniffer sniffer() {
            return sniffer;
          }

          @Override
          public boolean mayBlock() {
            return false;
          }
        };
    relay =
        UdpRelay.start(
            new InetSocketAddress(LOOPBACK, 0),
            loops,
            origins,
            router,
            blocking,
            connections,
            Duration.ofSeconds(30),
            2,
            clock);
  }

  private NatFlow flowOf(InetSocketAddress peer) {
    return new NatFlow(
        (Inet4Address) address("198.18.0.1"), peer.getPort(), FAKE, echo.getLocalPort());
  }

  private void serveEcho() {
    byte[] buffer = new byte[65536];
    while (!echo.isClosed()) {
      try {
        DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
        echo.receive(packet);
        lastSender = (InetSocketAddress) packet.getSocketAddress();
        echo.send(packet);
      } catch (java.io.IOException e) {
        return;
      }
    }
  }

  @AfterEach
  void stop() throws Exception {
    relay.close();
    echo.close();
    blocking.shutdownNow();
    loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
  }

  private DatagramSocket client() throws Exception {
    DatagramSocket socket = new DatagramSocket(0, LOOPBACK);
    socket.setSoTimeout(300);
    return socket;
  }

  /**
   * Sends until the echo of {@code text} comes back (the first datagrams may wait for the session
   * to open); echoes of earlier resends are skipped. Null if none came.
   */
  private String roundTrip(DatagramSocket client, String text) throws Exception {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    sent.add(text);
    for (int attempt = 0; attempt < 20; attempt++) {
      client.send(new DatagramPacket(bytes, bytes.length, relay.localAddress()));
      try {
        while (true) {
          DatagramPacket reply = new DatagramPacket(new byte[65536], 65536);
          client.receive(reply);
          String echoed = new String(reply.getData(), 0, reply.getLength(), StandardCharsets.UTF_8);
          if (echoed.equals(text)) {
            return echoed;
          }
          assertThat(sent).as("only echoes of what was sent come back").contains(echoed);
        }
      } catch (SocketTimeoutException e) {
        // resend: UDP may lose a datagram, and nothing else waits for it
      }
    }
    return null;
  }

  @Test
  void datagramsGoBothWaysAndRepliesComeFromTheRelay() throws Exception {
    try (DatagramSocket client = client()) {
      for (int i = 0; i < 50; i++) {
        assertThat(roundTrip(client, "ping " + i)).isEqualTo("ping " + i);
      }
      assertThat(relay.stats().sessionsOpened()).isEqualTo(1);
      assertThat(relay.stats().datagramsDown()).isGreaterThanOrEqualTo(50);
      Connection listed = connections.snapshot().iterator().next();
      assertThat(listed.origin().udp()).isTrue();
      assertThat(listed.chain()).containsExactly("DIRECT");
      assertThat(listed.upload()).isGreaterThanOrEqualTo(6 * 50);
      assertThat(listed.download()).isGreaterThanOrEqualTo(6 * 50);
    }
  }

  /**
   * Chromium's first two QUIC datagrams (captured, in the sniff tests' resources): its ClientHello
   * spans both, so the flow is routed once the second arrives, by the name, and both go on.
   */
  @Test
  void aQuicFlowIsRoutedByTheNameItsInitialPacketsCarry() throws Exception {
    sniffer = quicOnTheEchoPort(false); // the address is what the echo has
    try (DatagramSocket client = client()) {
      client.setSoTimeout(5000);
      for (String name : new String[] {"chromium-initial-0.bin", "chromium-initial-1.bin"}) {
        byte[] datagram = capture(name);
        client.send(new DatagramPacket(datagram, datagram.length, relay.localAddress()));
      }
      for (String name : new String[] {"chromium-initial-0.bin", "chromium-initial-1.bin"}) {
        DatagramPacket reply = new DatagramPacket(new byte[65536], 65536);
        client.receive(reply);
        assertThat(Arrays.copyOf(reply.getData(), reply.getLength()))
            .as("the echo of %s", name)
            .isEqualTo(capture(name));
      }
    }
    assertThat(routed).hasSize(1);
    assertThat(routed.get(0).host()).isEqualTo("www.example.test");
    assertThat(routed.get(0).sniffed()).isTrue();
    assertThat(relay.stats().sniffedNames()).isEqualTo(1);
  }

  @Test
  void aFlowOnASniffedPortThatIsNotQuicIsRoutedByItsAddressAtOnce() throws Exception {
    sniffer = quicOnTheEchoPort(true);
    try (DatagramSocket client = client()) {
      assertThat(roundTrip(client, "not quic")).isEqualTo("not quic");
    }
    assertThat(routed).hasSize(1);
    assertThat(routed.get(0).host()).isNull();
    assertThat(relay.stats().sniffed()).isEqualTo(1);
    assertThat(relay.stats().sniffedNames()).isZero();
  }

  /** Sniffs QUIC on the echo's port, as the flows' destination port is. */
  private Sniffer quicOnTheEchoPort(boolean override) {
    int port = echo.getLocalPort();
    return new Sniffer(
        List.of(),
        List.of(),
        List.of(new Sniffer.Ports(port, port)),
        false,
        false,
        override,
        List.of());
  }

  private static byte[] capture(String name) throws java.io.IOException {
    try (java.io.InputStream in =
        UdpRelayTest.class.getResourceAsStream("/dev/turnout/relay/sniff/" + name)) {
      return in.readAllBytes();
    }
  }

  /** Larger than a datagram channel's default read buffer (2,048 bytes), which would cut it. */
  @Test
  void aLargeDatagramGoesBothWaysWhole() throws Exception {
    StringBuilder text = new StringBuilder();
    Random random = new Random(20);
    while (text.length() < 20_000) {
      text.append((char) ('a' + random.nextInt(26)));
    }
    try (DatagramSocket client = client()) {
      assertThat(roundTrip(client, text.toString())).isEqualTo(text.toString());
      assertThat(roundTrip(client, "and a short one")).isEqualTo("and a short one");
    }
  }

  @Test
  void closingASessionByIdEndsItAndTheNextDatagramOpensAnother() throws Exception {
    try (DatagramSocket client = client()) {
      assertThat(roundTrip(client, "first")).isEqualTo("first");
      assertThat(connections.count()).isEqualTo(1);
      assertThat(connections.closeAll()).isEqualTo(1);
      awaitTrue(() -> connections.count() == 0 && closed.size() == 1);
      assertThat(roundTrip(client, "second")).isEqualTo("second");
      assertThat(relay.stats().sessionsOpened()).isEqualTo(2);
    }
  }

  @Test
  void anIdleSessionIsClosedAndItsOriginReleased() throws Exception {
    try (DatagramSocket client = client()) {
      assertThat(roundTrip(client, "one")).isEqualTo("one");
      clock.advance(Duration.ofSeconds(31));
      awaitTrue(() -> relay.stats().sessionsExpired() == 1);
      assertThat(closed).hasSize(1);
      assertThat(connections.count()).isZero();
      assertThat(roundTrip(client, "two")).isEqualTo("two");
      assertThat(relay.stats().sessionsOpened()).isEqualTo(2);
    }
  }

  @Test
  void pastTheCapTheLeastRecentlyActiveSessionGoes() throws Exception {
    try (DatagramSocket a = client();
        DatagramSocket b = client();
        DatagramSocket c = client()) {
      assertThat(roundTrip(a, "a")).isEqualTo("a");
      clock.advance(Duration.ofNanos(1_000));
      assertThat(roundTrip(b, "b")).isEqualTo("b");
      clock.advance(Duration.ofNanos(1_000));
      assertThat(roundTrip(c, "c")).isEqualTo("c");
      assertThat(relay.stats().sessionsEvicted()).isEqualTo(1);
      assertThat(closed).extracting(o -> o.source().getPort()).containsExactly(a.getLocalPort());
    }
  }

  @Test
  void aReusedSessionAddressStartsANewSession() throws Exception {
    try (DatagramSocket client = client()) {
      assertThat(roundTrip(client, "old")).isEqualTo("old");
      InetSocketAddress peer = (InetSocketAddress) client.getLocalSocketAddress();
      flows.put(
          peer,
          new NatFlow(
              (Inet4Address) address("198.18.0.1"), 1, FAKE, echo.getLocalPort())); // another app
      assertThat(roundTrip(client, "new")).isEqualTo("new");
      assertThat(relay.stats().sessionsOpened()).isEqualTo(2);
      assertThat(closed).hasSize(1);
    }
  }

  @Test
  void aPolicyWithoutUdpDropsTheFlowsDatagrams() throws Exception {
    policy = "REJECT";
    try (DatagramSocket client = client()) {
      client.setSoTimeout(100);
      assertThat(roundTrip(client, "nobody")).isNull();
      assertThat(relay.stats().sessionsOpened()).isEqualTo(1);
      assertThat(relay.stats().dropped()).isGreaterThan(0);
    }
  }

  @Test
  void repliesFromAnotherSenderAreDropped() throws Exception {
    try (DatagramSocket client = client();
        DatagramSocket intruder = new DatagramSocket(0, LOOPBACK)) {
      assertThat(roundTrip(client, "mine")).isEqualTo("mine");
      // Find DIRECT's socket: the echo saw it as the sender of "mine".
      InetSocketAddress direct = lastEchoSender();
      byte[] forged = "forged".getBytes(StandardCharsets.UTF_8);
      intruder.send(new DatagramPacket(forged, forged.length, direct));
      assertThat(roundTrip(client, "still mine")).isEqualTo("still mine");
      client.setSoTimeout(300);
      DatagramPacket extra = new DatagramPacket(new byte[64], 64);
      try {
        client.receive(extra);
        throw new AssertionError(
            "unexpected datagram: " + new String(extra.getData(), 0, extra.getLength()));
      } catch (SocketTimeoutException expected) {
        // nothing but the echoes reached the app
      }
    }
  }

  private volatile InetSocketAddress lastSender;

  private InetSocketAddress lastEchoSender() throws Exception {
    awaitTrue(() -> lastSender != null);
    return lastSender;
  }

  private static InetAddress address(String literal) {
    try {
      return InetAddress.getByName(literal); // a literal: no lookup
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 5 s");
      }
      Thread.sleep(10);
    }
  }
}
