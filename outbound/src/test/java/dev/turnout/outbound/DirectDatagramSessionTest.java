package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.IpLiterals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** DIRECT UDP on loopback: one session reaches IPv4 and IPv6 destinations, by address or name. */
class DirectDatagramSessionTest {
  /** Echoes one datagram back, from its own address. */
  static Thread echoOnce(DatagramSocket socket) {
    Thread t =
        new Thread(
            () -> {
              try {
                DatagramPacket p = new DatagramPacket(new byte[100], 100);
                socket.receive(p);
                socket.send(new DatagramPacket(p.getData(), p.getLength(), p.getSocketAddress()));
              } catch (Exception e) {
                // closed
              }
            });
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void oneSessionReachesBothFamiliesAndANameWithOnlyAnIpv6Address() throws Exception {
    InetAddress v4 = InetAddress.getByName("127.0.0.1");
    InetAddress v6 = InetAddress.getByName("::1");
    Map<String, List<InetAddress>> names = Map.of("v6only.test", List.of(v6));
    Dialer dialer =
        new Dialer(
            host -> CompletableFuture.completedFuture(names.getOrDefault(host, List.of())),
            a -> false);
    BlockingQueue<String> replies = new LinkedBlockingQueue<>();
    try (DatagramSocket four = new DatagramSocket(new InetSocketAddress(v4, 0));
        DatagramSocket six = new DatagramSocket(new InetSocketAddress(v6, 0))) {
      DatagramSession session =
          new DirectOutbound(dialer)
              .openUdp(
                  Channels.loop(),
                  (source, payload) -> {
                    replies.add(
                        IpLiterals.format(source.address())
                            + " "
                            + payload.toString(StandardCharsets.US_ASCII));
                    payload.release();
                  })
              .get(5, TimeUnit.SECONDS);
      try {
        echoOnce(four);
        session.send(new Destination(null, v4, four.getLocalPort()), text("to v4"));
        assertThat(replies.poll(5, TimeUnit.SECONDS)).isEqualTo("127.0.0.1 to v4");
        echoOnce(six);
        session.send(new Destination(null, v6, six.getLocalPort()), text("to v6"));
        assertThat(replies.poll(5, TimeUnit.SECONDS)).isEqualTo("::1 to v6");
        echoOnce(six);
        session.send(new Destination("v6only.test", null, six.getLocalPort()), text("by name"));
        assertThat(replies.poll(5, TimeUnit.SECONDS)).isEqualTo("::1 by name");
      } finally {
        session.close();
      }
    }
  }

  private static ByteBuf text(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.US_ASCII);
  }
}
