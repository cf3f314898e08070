package dev.turnout.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.MappingReader;
import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.natrewrite.NatFlow;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.config.OutboundConfig;
import dev.turnout.relay.Connections;
import dev.turnout.relay.HalfCloseSafeEpoll;
import dev.turnout.relay.Origin;
import dev.turnout.relay.Origins;
import dev.turnout.relay.Router;
import dev.turnout.testing.LeakCheck;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, defect 2: 20,000 Shadowsocks UDP datagrams to a name of 758 characters (a 193-byte wire
 * name, escaped) grew the pooled heap by 40 MiB. Through the real relay, to a real Shadowsocks UDP
 * session, such datagrams are now dropped and every one released: no leak report under the paranoid
 * detector, and pooled memory does not grow.
 */
class UdpRelayLeakTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final String ESCAPED = "\\000".repeat(189) + ".ex";

  @TempDir Path dir;

  @Test
  void twentyThousandDatagramsToALongNameLeakNothing() throws Exception {
    EventLoopGroup loops = new MultiThreadIoEventLoopGroup(1, HalfCloseSafeEpoll.newFactory());
    var blocking = Executors.newSingleThreadExecutor();
    try (LeakCheck leaks = LeakCheck.paranoid();
        DatagramSocket server = new DatagramSocket(0, LOOPBACK);
        DatagramSocket client = new DatagramSocket(0, LOOPBACK)) {
      Outbound ss = shadowsocks(server.getLocalPort(), loops);
      UdpRelay relay =
          UdpRelay.start(
              new InetSocketAddress(LOOPBACK, 0),
              loops,
              new LongNameOrigins(),
              new Router() {
                @Override
                public Route route(Origin origin) {
                  return new Route("ss", "MATCH", "test", ss);
                }

                @Override
                public boolean mayBlock() {
                  return false;
                }
              },
              blocking,
              new Connections(Connections.POLICY_ONLY),
              Duration.ofSeconds(30),
              64,
              TimeSource.SYSTEM);
      try {
        long before = used();
        byte[] payload = new byte[1024];
        int sent = 0;
        for (int i = 0; i < 20_000; i++) {
          client.send(new DatagramPacket(payload, payload.length, relay.localAddress()));
          sent++;
          if (i % 500 == 499) { // let the relay keep up: loopback drops what overflows
            awaitUp(relay, sent);
          }
        }
        awaitUp(relay, sent);
        assertThat(relay.stats().datagramsUp()).isGreaterThan(19_000);
        assertThat(relay.stats().failed()).isZero();
        assertThat(used() - before).as("pooled memory grown").isLessThan(8L << 20);
      } finally {
        relay.close();
      }
      ((AutoCloseable) ss).close();
      leaks.assertNoLeaks();
    } finally {
      blocking.shutdownNow();
      loops.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
  }

  private static void awaitUp(UdpRelay relay, int sent) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    long last = -1;
    while (relay.stats().datagramsUp() < sent && System.nanoTime() < deadline) {
      long now = relay.stats().datagramsUp();
      if (now == last) {
        Thread.sleep(20);
      }
      last = now;
      Thread.sleep(1);
    }
  }

  private static long used() {
    return LeakCheck.used(PooledByteBufAllocator.DEFAULT)
        + LeakCheck.used(ByteBufAllocator.DEFAULT);
  }

  /** A Shadowsocks outbound with UDP, to a local socket that only receives. */
  private Outbound shadowsocks(int port, EventLoopGroup loops) {
    String yaml =
        "proxies:\n  - {name: ss, type: ss, server: 127.0.0.1, port: "
            + port
            + ", cipher: aes-128-gcm, password: pw, udp: true}\n";
    Problems problems = new Problems("test.yaml");
    var proxies =
        MappingReader.of(YamlFile.parse("test.yaml", yaml, problems).orElseThrow(), problems)
            .mappings("proxies");
    Dialer dialer =
        new Dialer(
            host -> CompletableFuture.failedFuture(new IOException("no names")),
            a -> !a.isLoopbackAddress());
    OutboundConfig.Result r =
        OutboundConfig.load(proxies, List.of(), new OutboundConfig.Environment(dialer, dir, loops));
    assertThat(r.problems()).isEmpty();
    return new ClosingOutbound(r.outbounds().get("ss"), r.outbounds());
  }

  /** The outbound, and what closes its configuration. */
  private record ClosingOutbound(Outbound inner, AutoCloseable all)
      implements Outbound, dev.turnout.outbound.UdpOutbound, AutoCloseable {
    @Override
    public String name() {
      return inner.name();
    }

    @Override
    public io.netty.util.concurrent.Future<io.netty.channel.Channel> connect(
        dev.turnout.outbound.Destination destination, io.netty.channel.EventLoop loop) {
      return inner.connect(destination, loop);
    }

    @Override
    public io.netty.util.concurrent.Future<dev.turnout.outbound.DatagramSession> openUdp(
        io.netty.channel.EventLoop loop, dev.turnout.outbound.DatagramSession.Receiver receiver) {
      return ((dev.turnout.outbound.UdpOutbound) inner).openUdp(loop, receiver);
    }

    @Override
    public void close() throws Exception {
      all.close();
    }
  }

  /** Every peer is a flow to a fake address whose name is the escaped one. */
  private static final class LongNameOrigins implements Origins {
    private final List<Origin> closed = new ArrayList<>();

    @Override
    public Optional<Origin> claim(InetSocketAddress peer) {
      return Optional.empty();
    }

    @Override
    public void release(InetSocketAddress peer) {}

    @Override
    public Optional<NatFlow> udpFlow(InetSocketAddress peer) {
      return Optional.of(
          new NatFlow(
              (Inet4Address) IpLiterals.parse("198.18.0.1"),
              peer.getPort(),
              (Inet4Address) IpLiterals.parse("198.18.3.7"),
              53));
    }

    @Override
    public Optional<Origin> udpOrigin(NatFlow flow) {
      return Optional.of(new Origin(true, flow.source(), flow.destination(), ESCAPED, null));
    }

    @Override
    public void udpClosed(Origin origin) {
      closed.add(origin);
    }
  }
}
