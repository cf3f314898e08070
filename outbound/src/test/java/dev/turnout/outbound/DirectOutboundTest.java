package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** DIRECT (forbidden addresses, the Happy-Eyeballs race) and REJECT, on 127.0.0.1. */
class DirectOutboundTest {
  @Test
  void directRefusesForbiddenAddressesAndRacesToTheOneThatAnswers() throws Exception {
    InetAddress two = InetAddress.getByName("127.0.0.2");
    InetAddress one = InetAddress.getByName("127.0.0.1");
    Dialer dialer =
        new Dialer(
            host ->
                java.util.concurrent.CompletableFuture.completedFuture(java.util.List.of(two, one)),
            a -> a.getHostAddress().equals("127.0.0.2"),
            0,
            null,
            5_000);
    try (FakeServer server = new FakeServer((in, out) -> out.write('x'))) {
      Channel ch =
          new DirectOutbound(dialer)
              .connect(new Destination("local.test", null, server.port()), Channels.loop())
              .get(5, TimeUnit.SECONDS);
      assertThat(Channels.readAll(ch).toCompletableFuture().get(5, TimeUnit.SECONDS))
          .containsExactly('x');
      ch.close();
    }
    assertThatThrownBy(
            () ->
                new DirectOutbound(dialer)
                    .connect(
                        new Destination(null, InetAddress.getByName("127.0.0.2"), 1),
                        Channels.loop())
                    .get(5, TimeUnit.SECONDS))
        .hasMessageContaining("refusing to dial 127.0.0.2");
  }

  /**
   * A server that writes and closes at once, dialed by address from a thread other than the
   * channel's loop (as the launcher's API and the tests do): its bytes must wait for the caller,
   * every time. Dialed off the loop, the race once added its HeldInbound in a task queued behind
   * the loop's I/O, and about one dial in fifty lost the byte and then failed its first read.
   */
  @Test
  void bytesOfAServerThatSpeaksAndClosesAtOnceWaitWhenDialedFromAnotherThread() throws Exception {
    DirectOutbound direct = new DirectOutbound(Channels.loopbackDialer());
    for (int i = 0; i < 300; i++) {
      try (FakeServer server = new FakeServer((in, out) -> out.write('x'))) {
        Destination local = new Destination(null, InetAddress.getLoopbackAddress(), server.port());
        Channel ch = direct.connect(local, Channels.loop()).get(5, TimeUnit.SECONDS);
        try {
          assertThat(Channels.readAll(ch).toCompletableFuture().get(5, TimeUnit.SECONDS))
              .as("dial %d", i)
              .containsExactly('x');
        } finally {
          ch.close();
        }
      }
    }
  }

  @Test
  void rejectAndRejectDropAreTellApart() {
    var reject = new RejectOutbound().connect(Channels.TARGET, Channels.loop());
    var drop = RejectOutbound.drop().connect(Channels.TARGET, Channels.loop());
    assertThat(((RejectOutbound.Rejected) reject.cause()).silent()).isFalse();
    assertThat(((RejectOutbound.Rejected) drop.cause()).silent()).isTrue();
    assertThat(RejectOutbound.drop().name()).isEqualTo("REJECT-DROP");
  }

  @Test
  void interleaveAlternatesFamilies() throws Exception {
    InetAddress a6 = InetAddress.getByName("::1");
    InetAddress b6 = InetAddress.getByName("::2");
    InetAddress a4 = InetAddress.getByName("127.0.0.1");
    assertThat(Dialer.interleave(java.util.List.of(a6, b6, a4))).containsExactly(a6, a4, b6);
  }
}
