package dev.turnout.outbound.socks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Channels;
import dev.turnout.outbound.FakeServer;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.Transport;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** SOCKS5 handshakes against scripted servers on 127.0.0.1. */
class Socks5OutboundTest {
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
              "s",
              "127.0.0.1",
              server.port(),
              "user",
              "secret",
              false,
              Transport.TCP,
              Channels.loopbackDialer());
      Channel ch = Channels.connect(o);
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
              "s",
              "127.0.0.1",
              server.port(),
              null,
              null,
              false,
              Transport.TCP,
              Channels.loopbackDialer());
      assertThatThrownBy(() -> Channels.connect(o))
          .isInstanceOf(ExecutionException.class)
          .hasMessageContaining("refused");
    }
  }
}
