package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.net.InetAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** DIRECT (forbidden addresses, the Happy-Eyeballs race) and REJECT, on 127.0.0.1. */
class DirectOutboundTest {
  private static final MultiThreadIoEventLoopGroup LOOPS =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private static final EventLoop LOOP = LOOPS.next();
  private static final Destination TARGET = new Destination("example.org", null, 443);

  @AfterAll
  static void stop() {
    LOOPS.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }

  private static Channel connect(Outbound o) throws Exception {
    return o.connect(TARGET, LOOP).get(5, TimeUnit.SECONDS);
  }

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
              .connect(new Destination("local.test", null, server.port()), LOOP)
              .get(5, TimeUnit.SECONDS);
      assertThat(Channels.readAll(ch).toCompletableFuture().get(5, TimeUnit.SECONDS))
          .containsExactly('x');
      ch.close();
    }
    assertThatThrownBy(
            () ->
                new DirectOutbound(dialer)
                    .connect(new Destination(null, InetAddress.getByName("127.0.0.2"), 1), LOOP)
                    .get(5, TimeUnit.SECONDS))
        .hasMessageContaining("refusing to dial 127.0.0.2");
  }

  @Test
  void rejectAndRejectDropAreTellApart() {
    var reject = new RejectOutbound().connect(TARGET, LOOP);
    var drop = RejectOutbound.drop().connect(TARGET, LOOP);
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
