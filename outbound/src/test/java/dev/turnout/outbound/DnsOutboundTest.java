package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.IpLiterals;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code type: dns} on loopback: whatever address a query was sent to, it reaches the one server
 * (even with a dialer that forbids every address, as Turnout's forbids its own), and each answer
 * comes back as from where its query went.
 */
class DnsOutboundTest {
  private static final Dialer FORBIDS_ALL =
      new Dialer(
          host -> CompletableFuture.failedFuture(new AssertionError("no lookup")), a -> true);
  private static final Destination RESOLVER_A =
      new Destination(null, IpLiterals.parse("203.0.113.1"), 53);
  private static final Destination RESOLVER_B = new Destination("dns.example.test", null, 53);

  @Test
  void datagramsToAnyResolverReachTheServerAndAnswersReturnFromWhereTheyWent() throws Exception {
    BlockingQueue<String> answers = new LinkedBlockingQueue<>();
    try (DatagramSocket server = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout(5_000);
      DnsOutbound dns =
          new DnsOutbound(
              "dns-out", FORBIDS_ALL, (InetSocketAddress) server.getLocalSocketAddress());
      DatagramSession session =
          dns.openUdp(
                  Channels.loop(),
                  (source, payload) -> {
                    answers.add(source + " " + payload.getUnsignedShort(payload.readerIndex()));
                    payload.release();
                  })
              .get(5, TimeUnit.SECONDS);
      try {
        session.send(RESOLVER_A, Unpooled.wrappedBuffer(new byte[] {1, 2, 3})); // no DNS message
        session.send(RESOLVER_A, query(0x1111));
        session.send(RESOLVER_B, query(0x2222));
        DatagramPacket first = received(server);
        DatagramPacket second = received(server);
        assertThat(List.of(id(first), id(second)))
            .as("the short datagram was dropped")
            .containsExactly(0x1111, 0x2222);
        server.send(second); // answered in the other order, as a server may
        server.send(first);
        assertThat(answers.poll(5, TimeUnit.SECONDS)).isEqualTo(RESOLVER_B + " " + 0x2222);
        assertThat(answers.poll(5, TimeUnit.SECONDS)).isEqualTo(RESOLVER_A + " " + 0x1111);
        server.send(first); // a second answer to one query
        server.setSoTimeout(300);
        assertThatThrownBy(() -> server.receive(new DatagramPacket(new byte[512], 512)))
            .isInstanceOf(SocketTimeoutException.class);
        assertThat(answers).as("an answer to no query pending is dropped").isEmpty();
      } finally {
        session.close();
      }
    }
  }

  /** The next datagram, addressed back to its sender. */
  private static DatagramPacket received(DatagramSocket server) throws Exception {
    DatagramPacket p = new DatagramPacket(new byte[512], 512);
    server.receive(p);
    return new DatagramPacket(
        java.util.Arrays.copyOf(p.getData(), p.getLength()), p.getLength(), p.getSocketAddress());
  }

  private static int id(DatagramPacket p) {
    return ((p.getData()[0] & 0xff) << 8) | (p.getData()[1] & 0xff);
  }

  @Test
  void connectionsToAnyResolverReachTheServer() throws Exception {
    try (FakeServer server = new FakeServer((in, out) -> out.write('x'))) {
      DnsOutbound dns =
          new DnsOutbound(
              "dns-out",
              FORBIDS_ALL,
              new InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
      Channel ch = dns.connect(RESOLVER_A, Channels.loop()).get(5, TimeUnit.SECONDS);
      assertThat(Channels.readAll(ch).toCompletableFuture().get(5, TimeUnit.SECONDS))
          .containsExactly('x');
      ch.close();
      assertThat(dns.type()).isEqualTo("Dns");
    }
  }

  @Test
  void aWildcardServerIsRefused() {
    assertThatThrownBy(() -> new DnsOutbound("dns-out", FORBIDS_ALL, new InetSocketAddress(53)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A query for example.test's A record: a 12-byte header and one question. */
  private static ByteBuf query(int id) {
    ByteBuf q = Unpooled.buffer();
    q.writeShort(id).writeShort(0x0100).writeShort(1).writeShort(0).writeShort(0).writeShort(0);
    q.writeByte(7).writeBytes("example".getBytes(StandardCharsets.US_ASCII));
    q.writeByte(4).writeBytes("test".getBytes(StandardCharsets.US_ASCII)).writeByte(0);
    return q.writeShort(1).writeShort(1);
  }
}
