package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.socket.DuplexChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** SOCKS5 and HTTP CONNECT handshakes against scripted servers on 127.0.0.1. */
class HandshakeTest {
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
  void socks5WithPasswordSendsTheDomainAndHandsOverBytesThatCameWithTheReply() throws Exception {
    try (FakeServer server =
        new FakeServer(
            (in, out) -> {
              assertThat(FakeServer.readN(in, 4)).containsExactly(5, 2, 0, 2);
              out.write(new byte[] {5, 2});
              out.flush();
              byte[] auth = FakeServer.readN(in, 1 + 1 + 4 + 1 + 6);
              assertThat(new String(auth, 2, 4, StandardCharsets.US_ASCII)).isEqualTo("user");
              out.write(new byte[] {1, 0});
              out.flush();
              byte[] req = FakeServer.readN(in, 5 + 11 + 2);
              assertThat(req[1]).isEqualTo((byte) 1);
              assertThat(req[3]).isEqualTo((byte) 3);
              assertThat(new String(req, 5, 11, StandardCharsets.US_ASCII))
                  .isEqualTo("example.org");
              // Reply and the destination's banner in one write.
              byte[] reply = {5, 0, 0, 1, 127, 0, 0, 1, 0, 80, 'S', 'S', 'H', '-'};
              out.write(reply);
            })) {
      Outbound o =
          new Socks5Outbound(
              "s", "127.0.0.1", server.port(), "user", "secret", false, Channels.loopbackDialer());
      Channel ch = connect(o);
      assertThat(ch.config().getOption(ChannelOption.AUTO_READ)).isFalse();
      assertThat(ch.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
      assertThat(ch.config().getOption(ChannelOption.ALLOW_HALF_CLOSURE)).isTrue();
      byte[] got = Channels.readAll(ch).toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("SSH-");
      server.done.get(5, TimeUnit.SECONDS);
      ch.close();
    }
  }

  @Test
  void socks5RefusalFailsTheConnect() throws Exception {
    try (FakeServer server =
        new FakeServer(
            (in, out) -> {
              FakeServer.readN(in, 3);
              out.write(new byte[] {5, 0});
              out.flush();
              FakeServer.readN(in, 5 + 11 + 2);
              out.write(new byte[] {5, 5, 0, 1, 0, 0, 0, 0, 0, 0});
            })) {
      Outbound o =
          new Socks5Outbound(
              "s", "127.0.0.1", server.port(), null, null, false, Channels.loopbackDialer());
      assertThatThrownBy(() -> connect(o))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("refused");
    }
  }

  @Test
  void httpConnectWithBasicAuthThenStreamAndHalfClose() throws Exception {
    StringBuilder seen = new StringBuilder();
    try (FakeServer server =
        new FakeServer(
            (in, out) -> {
              seen.append(FakeServer.readHeaders(in));
              out.write(
                  "HTTP/1.1 200 Connection established\r\n\r\nhello"
                      .getBytes(StandardCharsets.US_ASCII));
              out.flush();
              // Echo what the client sends until its half-close, then close.
              byte[] rest = in.readAllBytes();
              out.write(rest);
            })) {
      Outbound o =
          new HttpOutbound(
              "h", "127.0.0.1", server.port(), "u", "p", null, Channels.loopbackDialer());
      Channel ch = connect(o);
      var all = Channels.readAll(ch);
      ch.writeAndFlush(io.netty.buffer.Unpooled.copiedBuffer(" world", StandardCharsets.US_ASCII))
          .sync();
      ((DuplexChannel) ch).shutdownOutput().sync();
      byte[] got = all.toCompletableFuture().get(5, TimeUnit.SECONDS);
      assertThat(new String(got, StandardCharsets.US_ASCII)).isEqualTo("hello world");
      assertThat(seen.toString())
          .startsWith("CONNECT example.org:443 HTTP/1.1\r\n")
          .contains("Proxy-Authorization: Basic dTpw\r\n");
      ch.close();
    }
  }

  @Test
  void httpProxyAuthRequiredFailsWithTheStatus() throws Exception {
    try (FakeServer server =
        new FakeServer(
            (in, out) -> {
              FakeServer.readHeaders(in);
              out.write(
                  "HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 3\r\n\r\nno!"
                      .getBytes(StandardCharsets.US_ASCII));
            })) {
      Outbound o =
          new HttpOutbound(
              "h", "127.0.0.1", server.port(), null, null, null, Channels.loopbackDialer());
      assertThatThrownBy(() -> connect(o)).hasMessageContaining("407");
    }
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
