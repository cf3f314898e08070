package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.config.OutboundConfig;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.outbound.wireguard.WireGuardOutbound;
import dev.turnout.testing.Command;
import dev.turnout.testing.Netns;
import dev.turnout.testing.UdpEcho;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The WireGuard outbound against a real peer: {@code wireguard-go} in a namespace, configured with
 * {@code wg set}, its tunnel side (203.0.113.201) serving nginx and a UDP echo. Turnout's tunnel
 * device holds 203.0.113.202 in the root namespace; the peer's endpoint is the namespace's veth
 * address. A 10 MiB download arrives intact and UDP echoes come back, and the peer's own {@code wg
 * show transfer} counters prove both went through the tunnel.
 */
class WireGuardIT {
  private static final String PEER_TUNNEL = "203.0.113.201";
  private static final String OWN_TUNNEL = "203.0.113.202";
  private static final String IF = "wgt0";
  private static final int PORT = 51820;
  private static Netns ns;
  private static MultiThreadIoEventLoopGroup loops;
  private static EventLoop loop;
  private static byte[] blob;
  private static Outbounds outbounds;
  private static WireGuardOutbound wg;

  @BeforeAll
  static void setUp() throws Exception {
    ns = Netns.create();
    loops = new MultiThreadIoEventLoopGroup(2, EpollIoHandler.newFactory());
    loop = loops.next();
    ns.startNginx();
    blob = new byte[10 << 20];
    new SplittableRandom(18).nextBytes(blob);
    Files.write(ns.dir.resolve("www/blob"), blob);
    String peerKey = Command.check("wg", "genkey").trim();
    String peerPublic = pub(peerKey);
    String ownKey = Command.check("wg", "genkey").trim();
    String ownPublic = pub(ownKey);
    ns.start("wireguard-go.log", Map.of("LOG_LEVEL", "verbose"), "wireguard-go", "-f", IF);
    awaitInterface();
    ns.write("peer.key", peerKey + "\n");
    ns.in(
        "wg",
        "set",
        IF,
        "listen-port",
        String.valueOf(PORT),
        "private-key",
        ns.dir.resolve("peer.key").toString(),
        "peer",
        ownPublic,
        "allowed-ips",
        OWN_TUNNEL + "/32");
    ns.addAddress(PEER_TUNNEL + "/32", IF);
    ns.in("ip", "link", "set", IF, "up");
    ns.in("ip", "route", "add", OWN_TUNNEL + "/32", "dev", IF);
    ns.start("echo.out", UdpEcho.command(PEER_TUNNEL, 7).toArray(String[]::new));
    List<Map<String, Object>> proxies = new ArrayList<>();
    Map<String, Object> entry = new java.util.LinkedHashMap<>();
    entry.put("name", "wg");
    entry.put("type", "wireguard");
    entry.put("server", Netns.SERVER);
    entry.put("port", PORT);
    entry.put("ip", OWN_TUNNEL);
    entry.put("private-key", ownKey);
    entry.put("public-key", peerPublic);
    entry.put("allowed-ips", List.of("203.0.113.0/24"));
    entry.put("mtu", 1420);
    entry.put("udp", true);
    entry.put("persistent-keepalive", 1);
    proxies.add(entry);
    OutboundConfig.Result r =
        OutboundConfig.load(
            Entries.of(proxies),
            List.of(),
            new OutboundConfig.Environment(dialer(), ns.dir, loops));
    assertThat(r.problems()).isEmpty();
    outbounds = r.outbounds();
    wg = (WireGuardOutbound) outbounds.get("wg");
  }

  private static String pub(String key) throws Exception {
    Command.Result r =
        Command.run(Duration.ofSeconds(10), "sh", "-c", "echo " + key + " | wg pubkey");
    assertThat(r.exit()).isZero();
    return r.stdout().trim();
  }

  private static void awaitInterface() throws Exception {
    for (int i = 0; i < 100; i++) {
      if (ns.exec(Duration.ofSeconds(5), "ip", "link", "show", IF).exit() == 0) {
        return;
      }
      Thread.sleep(100);
    }
    throw new IllegalStateException(
        "wireguard-go did not create " + IF + ": " + ns.read("wireguard-go.log"));
  }

  /** Loopback, the namespace pair and the tunnel's range may be dialed; nothing else. */
  private static Dialer dialer() {
    return new Dialer(
        host -> CompletableFuture.failedFuture(new java.io.IOException("no resolver in tests")),
        a -> {
          byte[] b = a.getAddress();
          boolean docs =
              b.length == 4
                  && ((b[0] & 0xff) == 198 && (b[1] & 0xff) == 51 && (b[2] & 0xff) == 100
                      || (b[0] & 0xff) == 203 && (b[1] & 0xff) == 0 && (b[2] & 0xff) == 113);
          return !(a.isLoopbackAddress() || docs);
        },
        0,
        null,
        5_000);
  }

  @AfterAll
  static void tearDown() throws Exception {
    String device = wg == null ? null : wg.deviceName();
    if (outbounds != null) {
      outbounds.close();
    }
    if (loops != null) {
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
    if (ns != null) {
      ns.close();
    }
    if (device != null) {
      assertThat(Command.run(Duration.ofSeconds(5), "ip", "link", "show", device).exit())
          .as("the tunnel device is gone")
          .isNotZero();
    }
  }

  /** The peer's byte counters for us: received, sent. */
  private static long[] transfer() throws Exception {
    Command.Result r = ns.exec(Duration.ofSeconds(10), "wg", "show", IF, "transfer");
    assertThat(r.exit()).as(r.toString()).isZero();
    String[] f = r.stdout().trim().split("\\s+");
    return new long[] {Long.parseLong(f[1]), Long.parseLong(f[2])};
  }

  @Test
  void downloadsTenMebibytesIntact() throws Exception {
    long[] before = transfer();
    Destination d = new Destination(null, InetAddress.getByName(PEER_TUNNEL), 8080);
    long start = System.nanoTime();
    Channel ch = wg.connect(d, loop).get(20, TimeUnit.SECONDS);
    byte[] response;
    try {
      var all = Channels.readAll(ch);
      ch.writeAndFlush(
          Unpooled.copiedBuffer(
              "GET /blob HTTP/1.0\r\nHost: " + PEER_TUNNEL + "\r\n\r\n",
              StandardCharsets.US_ASCII));
      response = all.toCompletableFuture().get(60, TimeUnit.SECONDS);
    } finally {
      ch.close();
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    String head =
        new String(response, 0, Math.min(response.length, 512), StandardCharsets.ISO_8859_1);
    assertThat(head).startsWith("HTTP/1.1 200");
    byte[] body = Arrays.copyOfRange(response, head.indexOf("\r\n\r\n") + 4, response.length);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    assertThat(sha.digest(body)).isEqualTo(MessageDigest.getInstance("SHA-256").digest(blob));
    long[] after = transfer();
    System.out.printf(
        "wireguard: 10 MiB in %.2f s (%.1f MiB/s); peer received %d, sent %d bytes%n",
        seconds, 10 / seconds, after[0] - before[0], after[1] - before[1]);
    assertThat(after[1] - before[1]).as("bytes the peer sent us").isGreaterThan(blob.length);
    assertThat(after[0] - before[0]).as("bytes the peer received").isGreaterThan(0);
    assertThat(ns.read("nginx-access.log")).contains("\"GET /blob").contains(OWN_TUNNEL);
  }

  @Test
  void echoesDatagrams() throws Exception {
    long[] before = transfer();
    LinkedBlockingQueue<String> replies = new LinkedBlockingQueue<>();
    DatagramSession session =
        wg.openUdp(
                loop,
                (source, payload) -> {
                  replies.add(source + " " + payload.toString(StandardCharsets.US_ASCII));
                  payload.release();
                })
            .get(20, TimeUnit.SECONDS);
    Set<String> got = new HashSet<>();
    try {
      Destination echo = new Destination(null, InetAddress.getByName(PEER_TUNNEL), 7);
      // The handshake and the echo server may still be starting: send until 20 answers came.
      for (int round = 0; round < 100 && got.size() < 20; round++) {
        for (int i = 0; i < 20; i++) {
          if (!got.contains(PEER_TUNNEL + ":7 datagram " + i)) {
            ByteBuf payload = Unpooled.copiedBuffer("datagram " + i, StandardCharsets.US_ASCII);
            session.send(echo, payload);
          }
        }
        String r = replies.poll(200, TimeUnit.MILLISECONDS);
        while (r != null) {
          got.add(r);
          r = replies.poll();
        }
      }
    } finally {
      session.close();
    }
    assertThat(got).hasSize(20).contains(PEER_TUNNEL + ":7 datagram 19");
    long[] after = transfer();
    assertThat(after[0] - before[0]).as("bytes the peer received").isGreaterThanOrEqualTo(20 * 32);
    assertThat(after[1] - before[1]).as("bytes the peer sent").isGreaterThanOrEqualTo(20 * 32);
  }

  /** Timer-driven sends reach the peer: persistent keepalives every second while idle. */
  @Test
  void keepsTheSessionAliveWhileIdle() throws Exception {
    Destination d = new Destination(null, InetAddress.getByName(PEER_TUNNEL), 8080);
    wg.connect(d, loop).get(20, TimeUnit.SECONDS).close(); // the tunnel runs
    Thread.sleep(1500); // let the connection's last packets pass
    long last = transfer()[0];
    int increases = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (increases < 3 && System.nanoTime() < deadline) {
      Thread.sleep(200);
      long now = transfer()[0];
      if (now > last) {
        increases++;
        last = now;
      }
    }
    assertThat(increases).as("keepalives kept arriving at the peer while idle").isEqualTo(3);
  }

  @Test
  void refusesDestinationsOutsideAllowedIps() throws Exception {
    Destination outside = new Destination(null, InetAddress.getByName(Netns.SERVER), 8080);
    var f = wg.connect(outside, loop);
    assertThat(f.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(f.cause()).hasMessageContaining("outside this WireGuard peer's allowed-ips");
  }
}
