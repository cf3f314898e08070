package dev.turnout.outbound.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Channels;
import dev.turnout.outbound.FakeServer;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.Transport;
import io.netty.channel.Channel;
import io.netty.channel.socket.DuplexChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** HTTP CONNECT handshakes against scripted servers on 127.0.0.1. */
class HttpOutboundTest {
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
              "h", "127.0.0.1", server.port(), "u", "p", Transport.TCP, Channels.loopbackDialer());
      Channel ch = Channels.connect(o);
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
              "h",
              "127.0.0.1",
              server.port(),
              null,
              null,
              Transport.TCP,
              Channels.loopbackDialer());
      assertThatThrownBy(() -> Channels.connect(o)).hasMessageContaining("407");
    }
  }
}
