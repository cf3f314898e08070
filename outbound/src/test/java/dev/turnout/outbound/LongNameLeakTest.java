package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.config.OutboundConfig;
import dev.turnout.testing.LeakCheck;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.util.concurrent.Future;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, defect 2: pooled buffers leaked on long names. Escaped bytes had turned a 193-byte wire
 * name into a 758-character host; the SOCKS address encoder threw after its buffer was allocated,
 * and 20,000 Shadowsocks UDP datagrams grew the pooled heap by 40 MiB. Now no protocol allocates
 * for a name it cannot carry: every proxy refuses such a destination before dialing, and the
 * datagram codecs drop (and release) such datagrams.
 */
class LongNameLeakTest {
  /** What dnsjava makes of a name of 189 zero bytes: 758 characters. */
  static final String ESCAPED = "\\000".repeat(189) + ".ex";

  static final List<String> UNSENDABLE = List.of(ESCAPED, "a".repeat(256), "caf\u00e9.example");

  @TempDir Path dir;

  @Test
  void everyProxyRefusesANameItCannotCarryBeforeDialing() throws Exception {
    try (ServerSocket nobody = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        LeakCheck leaks = LeakCheck.paranoid()) {
      int port = nobody.getLocalPort();
      OutboundConfig.Result r =
          OutboundConfig.load(
              Entries.parse(
                  "proxies",
                  "proxies:",
                  "  - {name: s5, type: socks5, server: 127.0.0.1, port: " + port + "}",
                  "  - {name: ss, type: ss, server: 127.0.0.1, port: "
                      + port
                      + ","
                      + " cipher: aes-128-gcm, password: pw}",
                  "  - {name: tj, type: trojan, server: 127.0.0.1, port: "
                      + port
                      + ","
                      + " password: pw}",
                  "  - {name: vm, type: vmess, server: 127.0.0.1, port: "
                      + port
                      + ","
                      + " uuid: b831381d-6324-4d53-ad4f-8cda48b30811, alterId: 0,"
                      + " cipher: aes-128-gcm}",
                  "  - {name: vl, type: vless, server: 127.0.0.1, port: "
                      + port
                      + ","
                      + " uuid: b831381d-6324-4d53-ad4f-8cda48b30811}",
                  "  - {name: h, type: http, server: 127.0.0.1, port: " + port + "}"),
              List.of(),
              new OutboundConfig.Environment(Channels.loopbackDialer(), dir, Channels.loop()));
      assertThat(r.problems()).isEmpty();
      for (String name : List.of("s5", "ss", "tj", "vm", "vl", "h")) {
        for (String host : UNSENDABLE) {
          Future<?> f = r.outbounds().get(name).connect(new Destination(host, null, 443), loop());
          assertThat(f.isDone()).as(name).isTrue();
          assertThat(f.cause()).as(name).isInstanceOf(IllegalArgumentException.class);
        }
      }
      r.outbounds().close();
      leaks.assertNoLeaks();
    }
  }

  @Test
  void twentyThousandShadowsocksDatagramsToALongNameLeakNothing() throws Exception {
    try (DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress());
        LeakCheck leaks = LeakCheck.paranoid()) {
      server.setSoTimeout(5_000);
      OutboundConfig.Result r =
          OutboundConfig.load(
              Entries.parse(
                  "proxies",
                  "proxies:",
                  "  - {name: ss, type: ss, server: 127.0.0.1, port: "
                      + server.getLocalPort()
                      + ","
                      + " cipher: aes-128-gcm, password: pw, udp: true}"),
              List.of(),
              new OutboundConfig.Environment(Channels.loopbackDialer(), dir, Channels.loop()));
      DatagramSession session =
          ((UdpOutbound) r.outbounds().get("ss"))
              .openUdp(Channels.loop(), (source, payload) -> payload.release())
              .get(5, TimeUnit.SECONDS);
      long before = used();
      for (int i = 0; i < 20_000; i++) {
        ByteBuf payload = PooledByteBufAllocator.DEFAULT.buffer(1024).writeZero(1024);
        session.send(new Destination(UNSENDABLE.get(i % 3), null, 443), payload);
        if (i % 500 == 499) {
          // Let the loop catch up: the pool grows with the datagrams in flight, and only a leak
          // (40 MiB before the fix) should show, not how far this thread ran ahead of the loop.
          loop().submit(() -> {}).get(5, TimeUnit.SECONDS);
        }
      }
      // One datagram that can be sent, after all the others: they have been handled by then.
      session.send(new Destination("ok.example", null, 443), ByteBufAllocator.DEFAULT.buffer(8));
      server.receive(new DatagramPacket(new byte[2048], 2048));
      assertThat(used() - before).as("pooled memory grown").isLessThan(4L << 20);
      session.close();
      r.outbounds().close();
      leaks.assertNoLeaks();
    }
  }

  private static long used() {
    return LeakCheck.used(PooledByteBufAllocator.DEFAULT)
        + LeakCheck.used(ByteBufAllocator.DEFAULT);
  }

  private static io.netty.channel.EventLoop loop() {
    return Channels.loop();
  }
}
