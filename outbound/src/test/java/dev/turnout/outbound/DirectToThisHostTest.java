package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.LocalAddresses;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.SocketTimeoutException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, defect 1: DIRECT reached this host's own loopback. DIRECT now refuses loopback,
 * unspecified and this host's own addresses, however they arrive (given, resolved, or a literal
 * typed as a name), unless the destination permits them; proxy servers on loopback still work.
 */
class DirectToThisHostTest {
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final InetAddress OWN = address("203.0.113.77");

  /** A resolver that answers loopback for every name, as a hostile or sloppy upstream can. */
  private static final Dialer DIALER =
      new Dialer(
          host -> CompletableFuture.completedFuture(List.of(LOOPBACK)),
          a -> false,
          LocalAddresses.of(List.of(OWN)),
          0,
          null,
          5_000);

  @Test
  void directRefusesLoopbackWhetherGivenResolvedOrTypedAsAName() throws Exception {
    try (FakeServer server = new FakeServer((in, out) -> out.write('x'))) {
      DirectOutbound direct = new DirectOutbound(DIALER);
      for (Destination d :
          List.of(
              new Destination(null, LOOPBACK, server.port()),
              new Destination("127.0.0.1", null, server.port()),
              new Destination("resolves-to-loopback.example", null, server.port()),
              new Destination(null, address("0.0.0.0"), server.port()),
              new Destination(null, OWN, server.port()))) {
        assertThatThrownBy(() -> direct.connect(d, Channels.loop()).get(5, TimeUnit.SECONDS))
            .as(d.toString())
            .hasMessageContaining("this host's own address");
      }
      assertThat(server.done).isNotDone();
    }
  }

  @Test
  void aRuleThatNamesTheRangeLetsDirectReachIt() throws Exception {
    try (FakeServer server = new FakeServer((in, out) -> out.write('x'))) {
      Cidr loopback = Cidr.parseMasking("127.0.0.0/8");
      Channel ch =
          new DirectOutbound(DIALER)
              .connect(
                  new Destination(
                      "resolves-to-loopback.example", null, server.port(), loopback::contains),
                  Channels.loop())
              .get(5, TimeUnit.SECONDS);
      assertThat(Channels.readAll(ch).toCompletableFuture().get(5, TimeUnit.SECONDS))
          .containsExactly('x');
      ch.close();
    }
  }

  @Test
  void aPermitForAnotherRangeDoesNotOpenLoopback() {
    Cidr other = Cidr.parseMasking("203.0.113.0/24");
    assertThatThrownBy(
            () ->
                new DirectOutbound(DIALER)
                    .connect(new Destination(null, LOOPBACK, 9, other::contains), Channels.loop())
                    .get(5, TimeUnit.SECONDS))
        .hasMessageContaining("refusing to dial 127.0.0.1");
  }

  @Test
  void aProxyServerOnLoopbackIsStillDialed() throws Exception {
    try (FakeServer server = new FakeServer((in, out) -> out.write('x'))) {
      Channel ch =
          DIALER.dial("127.0.0.1", null, server.port(), Channels.loop()).get(5, TimeUnit.SECONDS);
      ch.close();
    }
  }

  @Test
  void directUdpToLoopbackIsDroppedUnlessPermitted() throws Exception {
    try (DatagramSocket listener = new DatagramSocket(0, LOOPBACK)) {
      listener.setSoTimeout(300);
      DatagramSession session =
          new DirectOutbound(DIALER)
              .openUdp(Channels.loop(), (source, payload) -> payload.release())
              .get(5, TimeUnit.SECONDS);
      try {
        session.send(
            new Destination("resolves-to-loopback.example", null, listener.getLocalPort()),
            Unpooled.wrappedBuffer(new byte[] {1}));
        session.send(
            new Destination(null, LOOPBACK, listener.getLocalPort()),
            Unpooled.wrappedBuffer(new byte[] {2}));
        DatagramPacket p = new DatagramPacket(new byte[8], 8);
        assertThatThrownBy(() -> listener.receive(p)).isInstanceOf(SocketTimeoutException.class);
        session.send(
            new Destination(null, LOOPBACK, listener.getLocalPort(), LOOPBACK::equals),
            Unpooled.wrappedBuffer(new byte[] {3}));
        listener.setSoTimeout(5_000);
        listener.receive(p);
        assertThat(p.getData()[0]).isEqualTo((byte) 3);
      } finally {
        session.close();
      }
    }
  }

  private static InetAddress address(String literal) {
    return dev.turnout.netbase.IpLiterals.parse(literal);
  }
}
