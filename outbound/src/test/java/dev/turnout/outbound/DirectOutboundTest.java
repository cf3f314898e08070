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
