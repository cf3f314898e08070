package dev.turnout.natrewrite;

import static dev.turnout.natrewrite.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import dev.turnout.natrewrite.kernel.KernelFastPath;
import dev.turnout.natrewrite.kernel.TunDevice;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.testing.Command;
import dev.turnout.testing.Netns;
import dev.turnout.testing.Root;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Needs root. Creates a fresh network namespace, opens the TUN from a thread that has joined it (so
 * the device, its route and every socket live only there), runs a TCP connection through the NAT,
 * and deletes the namespace afterwards. Nothing touches the host's own interfaces.
 */
class TunDeviceIT {
  static final String DEVICE = "tnttest0";
  static final int CLONE_NEWNET = 0x40000000;

  static {
    Native.register(TunDeviceIT.class, Platform.C_LIBRARY_NAME);
  }

  static native int setns(int fd, int nstype) throws LastErrorException;

  static native int open(String path, int flags) throws LastErrorException;

  static native int close(int fd);

  Netns netns;
  String namespace;
  ExecutorService inNamespace;

  @BeforeEach
  void createNamespace() throws Exception {
    Root.assertRoot("TunDeviceIT");
    netns = Netns.isolated("tnt");
    namespace = netns.name;
    inNamespace = Executors.newSingleThreadExecutor(r -> new Thread(r, "in-" + namespace));
    inNamespace
        .submit(
            () -> {
              int fd = open("/var/run/netns/" + namespace, 0x80000); // O_CLOEXEC
              try {
                setns(fd, CLONE_NEWNET);
              } finally {
                close(fd);
              }
              return null;
            })
        .get();
    String hostNamespace = Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    String testNamespace =
        inNamespace(() -> Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString());
    assertThat(testNamespace).isNotEqualTo(hostNamespace);
  }

  @AfterEach
  void deleteNamespace() throws Exception {
    if (inNamespace != null) {
      inNamespace.shutdownNow();
      inNamespace.awaitTermination(5, TimeUnit.SECONDS);
    }
    if (netns != null) {
      netns.close();
    }
  }

  @Test
  void deviceIsConfiguredAndDeletedOnClose() throws Exception {
    TunDevice tun = inNamespace(() -> TunDevice.open(DEVICE, address("198.18.0.1"), 15, 65535));
    try {
      assertThat(tun.name()).isEqualTo(DEVICE);
      assertThat(ipInNamespace("-o", "addr", "show", "dev", DEVICE)).contains("198.18.0.1/15");
      assertThat(ipInNamespace("-o", "link", "show", "dev", DEVICE)).contains("mtu 65535", ",UP");
      assertThat(ipInNamespace("route")).contains("198.18.0.0/15 dev " + DEVICE);
    } finally {
      tun.close();
    }
    assertThat(ipInNamespace("-o", "link")).doesNotContain(DEVICE);
    assertThat(ipInNamespace("route")).doesNotContain("198.18.0.0/15");
  }

  @Test
  void tcpConnectionToAFakeAddressReachesTheRelayThroughTheNat() throws Exception {
    Inet4Address tunAddress = address("198.18.0.1");
    NatTable table = new NatTable(Ipv4Range.hostsOfCidr("198.19.0.0/16"), 1024, 65535);
    PacketRewriter rewriter =
        new PacketRewriter(tunAddress, 7890, ip("198.18.0.0"), ip("198.19.255.255"), table);
    try (TunDevice tun = inNamespace(() -> TunDevice.open(DEVICE, tunAddress, 15, 65535));
        TunLoop loop = TunLoop.start(tun, rewriter);
        ServerSocket relay = inNamespace(() -> new ServerSocket(7890, 50, tunAddress));
        Socket app = inNamespace(() -> boundSocket(tunAddress))) {
      ExecutorService relayThread = Executors.newSingleThreadExecutor();
      try {
        Future<Optional<NatFlow>> accepted =
            relayThread.submit(
                () -> {
                  try (Socket s = relay.accept()) {
                    Optional<NatFlow> flow =
                        table.claim((InetSocketAddress) s.getRemoteSocketAddress());
                    byte[] greeting = new byte[5];
                    new DataInputStream(s.getInputStream()).readFully(greeting);
                    s.getOutputStream()
                        .write(
                            (new String(greeting, StandardCharsets.US_ASCII)
                                    + " "
                                    + flow.map(f -> f.destination().toString()).orElse("none")
                                    + "\n")
                                .getBytes(StandardCharsets.US_ASCII));
                    s.getInputStream().read(); // until the app closes
                    table.release((InetSocketAddress) s.getRemoteSocketAddress());
                    return flow;
                  }
                });

        app.connect(new InetSocketAddress(address("198.18.3.7"), 443), 5000);
        app.setSoTimeout(5000);
        app.getOutputStream().write("hello".getBytes(StandardCharsets.US_ASCII));
        String answer = readLine(app.getInputStream());
        app.close();
        Optional<NatFlow> flow = accepted.get(10, TimeUnit.SECONDS);

        assertThat(answer).isEqualTo("hello /198.18.3.7:443");
        assertThat(flow).isPresent();
        assertThat(flow.get().source().getAddress()).isEqualTo(tunAddress);
        assertThat(flow.get().source().getPort()).isEqualTo(app.getLocalPort());
        NatStats stats = loop.stats();
        assertThat(stats.entriesCreated()).isEqualTo(1);
        assertThat(stats.entriesClaimed()).isEqualTo(1);
        assertThat(stats.entriesReleased()).isEqualTo(1);
        assertThat(stats.forwarded()).isGreaterThanOrEqualTo(6);
        assertThat(stats.dropped(DropReason.MALFORMED)).isZero();
        assertThat(stats.dropped(DropReason.WRITE_FAILED)).isZero();
      } finally {
        relayThread.shutdownNow();
      }
      loop.close();
      assertThat(loop.isRunning()).isFalse();
    }
  }

  /**
   * With offloads the kernel hands over TCP segments far larger than the MTU, with checksums left
   * to complete; the rewritten segments go back the same way and the kernel accepts them: 4 MiB
   * each way arrive intact, and the device's own counters show segments above the 1500-byte MTU.
   */
  @Test
  void offloadCarriesLargeSegmentsWithPartialChecksumsIntactBothWays() throws Exception {
    Inet4Address tunAddress = address("198.18.0.1");
    NatTable table = new NatTable(Ipv4Range.hostsOfCidr("198.19.0.0/16"), 1024, 65535);
    PacketRewriter rewriter =
        new PacketRewriter(tunAddress, 7890, ip("198.18.0.0"), ip("198.19.255.255"), table);
    byte[] payload = new byte[4 << 20];
    new java.util.SplittableRandom(7).nextBytes(payload);
    try (TunDevice tun = inNamespace(() -> TunDevice.open(DEVICE, tunAddress, 15, 1500, true));
        TunLoop loop = TunLoop.start(tun, rewriter);
        ServerSocket relay = inNamespace(() -> new ServerSocket(7890, 50, tunAddress));
        Socket app = inNamespace(() -> boundSocket(tunAddress))) {
      assertThat(tun.offload()).isTrue();
      echoThroughTheRelay(relay, app, payload, null);
      String stats = ipInNamespace("-j", "-s", "link", "show", "dev", DEVICE);
      java.util.regex.Matcher rx =
          java.util.regex.Pattern.compile("\"rx\":\\{\"bytes\":(\\d+),\"packets\":(\\d+)")
              .matcher(stats);
      assertThat(rx.find()).as(stats).isTrue();
      long bytes = Long.parseLong(rx.group(1));
      long packets = Long.parseLong(rx.group(2));
      assertThat(bytes / packets).as("average segment size").isGreaterThan(1500);
      NatStats nat = loop.stats();
      assertThat(nat.dropped(DropReason.MALFORMED)).isZero();
      assertThat(nat.dropped(DropReason.WRITE_FAILED)).isZero();
    }
  }

  /**
   * With the kernel fast path, only the handshake's first segment crosses the TUN: 4 MiB each way
   * arrive intact, the program counts the segments it rewrote, and once the entry is freed the
   * kernel forgets the flow too. With offloads the segments carry partial checksums; without, the
   * receiving stack verifies the patched checksums of every segment.
   */
  @ParameterizedTest(name = "offload {0}, {1}")
  @CsvSource({"true, TCX", "false, TCX", "true, CLSACT", "false, CLSACT"})
  void theKernelFastPathCarriesAnEstablishedFlowIntactBothWays(
      boolean offload, KernelFastPath.Hook hook) throws Exception {
    ManualTimeSource ticker = new ManualTimeSource();
    Inet4Address tunAddress = address("198.18.0.1");
    byte[] payload = new byte[4 << 20];
    new java.util.SplittableRandom(11).nextBytes(payload);
    try (TunDevice tun = inNamespace(() -> TunDevice.open(DEVICE, tunAddress, 15, 1500, offload));
        KernelFastPath fastPath =
            inNamespace(
                () -> KernelFastPath.attach(DEVICE, KernelFastPath.DEFAULT_MAX_FLOWS, 1, hook))) {
      assertThat(fastPath.hook()).isEqualTo(hook);
      if (hook == KernelFastPath.Hook.CLSACT) {
        assertThat(run("tc", "-n", namespace, "filter", "show", "dev", DEVICE, "egress"))
            .contains("turnout_fast", "direct-action");
      }
      NatTable table = offloadedTable(fastPath, tunAddress, ticker);
      try (TunLoop loop = TunLoop.start(tun, rewriterFor(table, tunAddress));
          ServerSocket relay = inNamespace(() -> new ServerSocket(7890, 50, tunAddress));
          Socket app = inNamespace(() -> boundSocket(tunAddress))) {
        echoThroughTheRelay(relay, app, payload, table);
        long[] carried = fastPath.packetsAndBytes();
        assertThat(carried[1])
            .as("bytes rewritten in the kernel")
            .isGreaterThan(2L * payload.length);
        NatStats nat = loop.stats();
        assertThat(nat.packetsIn()).as("segments that crossed the TUN").isLessThan(10);
        assertThat(nat.dropped(DropReason.MALFORMED)).isZero();

        assertThat(fastPath.mappedTuples())
            .as("both directions, until the entry is freed")
            .isEqualTo(2);
        ticker.advance(NatTable.DEFAULT_GRACE.plusSeconds(1));
        assertThat(table.expire()).isEqualTo(1);
        assertThat(fastPath.mappedTuples()).isZero();
      }
      fastPath.close();
      assertThat(run("tc", "-n", namespace, "qdisc", "show", "dev", DEVICE))
          .doesNotContain("clsact");
    }
  }

  /**
   * A UDP flow: only its first datagram crosses the TUN, the rest go through the kernel both ways,
   * intact (the receiving stack verifies every patched checksum, partial ones with offloads); the
   * relay's asking for the flow keeps its entry alive, and once the entry expires the kernel
   * forgets the flow.
   */
  @ParameterizedTest(name = "offload {0}")
  @CsvSource({"true", "false"})
  void theKernelFastPathCarriesAUdpFlowBothWays(boolean offload) throws Exception {
    ManualTimeSource ticker = new ManualTimeSource();
    Inet4Address tunAddress = address("198.18.0.1");
    InetSocketAddress fake = new InetSocketAddress(address("198.18.3.7"), 5201);
    SplittableRandom random = new SplittableRandom(12);
    try (TunDevice tun = inNamespace(() -> TunDevice.open(DEVICE, tunAddress, 15, 1500, offload));
        KernelFastPath fastPath =
            inNamespace(() -> KernelFastPath.attach(DEVICE, KernelFastPath.DEFAULT_MAX_FLOWS))) {
      NatTable table = offloadedTable(fastPath, tunAddress, ticker);
      try (TunLoop loop = TunLoop.start(tun, rewriterFor(table, tunAddress));
          DatagramSocket relay =
              inNamespace(() -> new DatagramSocket(new InetSocketAddress(tunAddress, 7890)));
          DatagramSocket app =
              inNamespace(() -> new DatagramSocket(new InetSocketAddress(tunAddress, 0)))) {
        relay.setSoTimeout(5000);
        app.setSoTimeout(5000);
        InetSocketAddress session = null;
        for (int i = 0; i < 200; i++) {
          byte[] up = new byte[random.nextInt(12, 1400)];
          random.nextBytes(up);
          app.send(new DatagramPacket(up, up.length, fake));
          DatagramPacket got = new DatagramPacket(new byte[2048], 2048);
          relay.receive(got);
          assertThat(Arrays.copyOf(got.getData(), got.getLength())).isEqualTo(up);
          session = (InetSocketAddress) got.getSocketAddress();
          ticker.advance(Duration.ofSeconds(1));
          assertThat(table.udpFlow(session)).as("the relay finds the flow").isPresent();

          byte[] down = new byte[random.nextInt(12, 1400)];
          random.nextBytes(down);
          relay.send(new DatagramPacket(down, down.length, session));
          DatagramPacket reply = new DatagramPacket(new byte[2048], 2048);
          app.receive(reply);
          assertThat(reply.getSocketAddress()).isEqualTo(fake);
          assertThat(Arrays.copyOf(reply.getData(), reply.getLength())).isEqualTo(down);
        }
        assertThat(loop.stats().packetsIn()).as("datagrams that crossed the TUN").isLessThan(5);
        assertThat(fastPath.packetsAndBytes()[0]).isGreaterThanOrEqualTo(2 * 200 - 5);
        assertThat(table.expire()).as("200 s of traffic, 60 s timeout").isZero();
        assertThat(fastPath.mappedTuples()).isEqualTo(2);

        ticker.advance(NatTable.DEFAULT_UDP_TIMEOUT);
        assertThat(table.expire()).isEqualTo(1);
        assertThat(fastPath.mappedTuples()).isZero();
        assertThat(table.udpFlow(session)).isEmpty();
      }
    }
  }

  /**
   * Forwarded flows take a map of their own, IPv4 only: a tuple there and the same tuple relayed
   * are two elements, and IPv6 ones are not taken at all.
   */
  @Test
  void forwardedFlowsTakeAMapOfTheirOwn() throws Exception {
    long app = FlowOffload.endpoint(ip("198.18.0.1"), 40001);
    long fake = FlowOffload.endpoint(ip("198.18.3.7"), 443);
    long session = FlowOffload.endpoint(ip("198.19.0.9"), 40001);
    long remote = FlowOffload.endpoint(ip("203.0.113.5"), 443);
    FlowOffload.Endpoint6 app6 = new FlowOffload.Endpoint6(0xfdfe_dcba_9876_0000L, 1, 40001);
    FlowOffload.Endpoint6 fake6 = new FlowOffload.Endpoint6(0xfdfe_dcba_9876_0000L, 2, 443);
    try (TunDevice tun =
            inNamespace(() -> TunDevice.open(DEVICE, address("198.18.0.1"), 15, 1500));
        KernelFastPath fastPath =
            inNamespace(() -> KernelFastPath.attach(DEVICE, KernelFastPath.DEFAULT_MAX_FLOWS))) {
      FlowOffload forwarded = fastPath.forwarded();
      forwarded.add(app, fake, session, remote);
      forwarded.add(remote, session, fake, app);
      forwarded.add6(app6, fake6, app6, fake6);
      assertThat(fastPath.mappedTuples()).isEqualTo(2);
      assertThat(forwarded.bytes(app, fake)).as("counted from 0").isZero();
      assertThat(forwarded.bytesTotal()).containsExactly(0, 0);
      fastPath.add(app, fake, session, remote);
      assertThat(fastPath.mappedTuples()).as("relayed apart from forwarded").isEqualTo(3);

      forwarded.remove(app, fake);
      forwarded.remove(remote, session);
      assertThat(fastPath.mappedTuples()).isEqualTo(1);
      fastPath.remove(app, fake);
      assertThat(fastPath.mappedTuples()).isZero();

      forwarded.add(app, fake, session, remote);
      fastPath.close();
      assertThat(fastPath.mappedTuples()).isZero();
      forwarded.add(app, fake, session, remote); // closed: does nothing, throws nothing
      forwarded.remove(app, fake);
      assertThat(forwarded.bytes(app, fake)).isZero();
      assertThat(forwarded.bytesTotal()).containsExactly(0, 0);
    }
  }

  static NatTable offloadedTable(
      KernelFastPath fastPath, Inet4Address tunAddress, ManualTimeSource ticker) {
    return NatTable.builder(ip("198.19.0.1"), ip("198.19.255.254"), 1024, 65535)
        .offload(fastPath, tunAddress)
        .timeSource(ticker)
        .build();
  }

  static PacketRewriter rewriterFor(NatTable table, Inet4Address tunAddress) {
    return new PacketRewriter(tunAddress, 7890, ip("198.18.0.0"), ip("198.19.255.255"), table);
  }

  @Test
  void connectionThatTheRelayDoesNotClaimStillExpires() throws Exception {
    ManualTimeSource ticker = new ManualTimeSource();
    Inet4Address tunAddress = address("198.18.0.1");
    NatTable table =
        new NatTable(
            ip("198.19.0.1"),
            ip("198.19.0.1"),
            2000,
            2001,
            Duration.ofSeconds(30),
            Duration.ofSeconds(5),
            ticker);
    PacketRewriter rewriter =
        new PacketRewriter(tunAddress, 7890, ip("198.18.0.0"), ip("198.19.255.255"), table);
    try (TunDevice tun = inNamespace(() -> TunDevice.open(DEVICE, tunAddress, 15, 1500));
        TunLoop loop = TunLoop.start(tun, rewriter);
        ServerSocket relay = inNamespace(() -> new ServerSocket(7890, 50, tunAddress));
        Socket app = inNamespace(() -> boundSocket(tunAddress))) {
      app.connect(new InetSocketAddress(address("198.18.9.9"), 80), 5000);
      assertThat(table.activeEntries()).isEqualTo(1);
      ticker.advance(Duration.ofSeconds(30));
      assertThat(table.expire()).isEqualTo(1);
      assertThat(table.activeEntries()).isZero();
    }
  }

  /**
   * Connects {@code app} to a fake address, sends {@code payload} and half-closes; the relay end
   * echoes all it read and closes. Both directions must arrive intact. With a {@code table}, the
   * relay end claims its NAT entry and releases it when done, as the relay does.
   */
  static void echoThroughTheRelay(ServerSocket relay, Socket app, byte[] payload, NatTable table)
      throws Exception {
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<byte[]> echoed =
          threads.submit(
              () -> {
                try (Socket s = relay.accept()) {
                  InetSocketAddress peer = (InetSocketAddress) s.getRemoteSocketAddress();
                  if (table != null) {
                    assertThat(table.claim(peer)).isPresent();
                  }
                  byte[] all = s.getInputStream().readAllBytes();
                  s.getOutputStream().write(all);
                  s.shutdownOutput();
                  s.getInputStream().read(); // until the app closes
                  if (table != null) {
                    table.release(peer);
                  }
                  return all;
                }
              });
      app.connect(new InetSocketAddress(address("198.18.3.7"), 443), 5000);
      app.setSoTimeout(10_000);
      Future<?> sent =
          threads.submit(
              () -> {
                app.getOutputStream().write(payload);
                app.shutdownOutput();
                return null;
              });
      byte[] back = app.getInputStream().readAllBytes();
      sent.get(10, TimeUnit.SECONDS);
      app.close();
      assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo(payload);
      assertThat(back).isEqualTo(payload);
    } finally {
      threads.shutdownNow();
    }
  }

  /**
   * A client socket whose fd exists in the namespace. {@code new Socket()} alone creates no fd
   * until connect(), which would then run in the calling thread's (the host's) namespace; binding
   * to the TUN address also fails loudly anywhere but in the test namespace.
   */
  static Socket boundSocket(Inet4Address tunAddress) throws IOException {
    Socket socket = new Socket();
    socket.bind(new InetSocketAddress(tunAddress, 0));
    return socket;
  }

  <T> T inNamespace(Callable<T> action) throws Exception {
    return inNamespace.submit(action).get(10, TimeUnit.SECONDS);
  }

  String ipInNamespace(String... args) throws Exception {
    return netns.ip(args);
  }

  static String run(String... command) throws Exception {
    return Command.check(command);
  }

  static Inet4Address address(String dotted) {
    return IpLiterals.parseIpv4(dotted);
  }

  static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c = in.read(); c != -1 && c != '\n'; c = in.read()) {
      line.append((char) c);
    }
    return line.toString();
  }
}
