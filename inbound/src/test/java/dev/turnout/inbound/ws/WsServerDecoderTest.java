package dev.turnout.inbound.ws;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The WebSocket side of a listener on bytes: RFC 6455's own handshake example, frames of every
 * length form split across reads, ping, close, Xray's early data, and what is refused.
 */
class WsServerDecoderTest {
  private final List<String> refused = new ArrayList<>();
  private final EmbeddedChannel ch =
      new EmbeddedChannel(
          new WsServerDecoder("/vmess?ed=2048", (c, why) -> refused.add(why)),
          new WsFrameEncoder());

  @AfterEach
  void release() {
    ch.finishAndReleaseAll();
  }

  private static String request(String path, String... headers) {
    return "GET "
        + path
        + " HTTP/1.1\r\nHost: proxy.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + String.join("", headers)
        + "\r\n";
  }

  /** A client's frame: FIN, {@code opcode}, masked with 1 2 3 4. */
  private static byte[] frame(int opcode, byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0x80 | opcode);
    int n = payload.length;
    if (n < 126) {
      out.write(0x80 | n);
    } else if (n <= 0xffff) {
      out.write(0x80 | 126);
      out.write(n >>> 8);
      out.write(n);
    } else {
      out.write(0x80 | 127);
      for (int shift = 56; shift >= 0; shift -= 8) {
        out.write((int) ((long) n >>> shift));
      }
    }
    byte[] mask = {1, 2, 3, 4};
    out.writeBytes(mask);
    for (int i = 0; i < n; i++) {
      out.write(payload[i] ^ mask[i & 3]);
    }
    return out.toByteArray();
  }

  private void feed(byte[] bytes, int slice) {
    for (int at = 0; at < bytes.length; at += slice) {
      ch.writeInbound(Unpooled.wrappedBuffer(bytes, at, Math.min(slice, bytes.length - at)));
    }
  }

  private String sent() {
    StringBuilder s = new StringBuilder();
    for (ByteBuf b; (b = ch.readOutbound()) != null; ) {
      s.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return s.toString();
  }

  private byte[] received() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (ByteBuf b; (b = ch.readInbound()) != null; ) {
      byte[] bytes = new byte[b.readableBytes()];
      b.readBytes(bytes);
      out.writeBytes(bytes);
      b.release();
    }
    return out.toByteArray();
  }

  @Test
  void theUpgradeIsAnsweredAsRfc6455SaysAndFramesOfEveryLengthFormCarryTheStream() {
    feed(request("/vmess").getBytes(StandardCharsets.US_ASCII), 5);
    assertThat(sent())
        .startsWith("HTTP/1.1 101 Switching Protocols\r\n")
        .contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n")
        .doesNotContain("Sec-WebSocket-Protocol");
    byte[] small = "hello".getBytes(StandardCharsets.US_ASCII);
    byte[] medium = new byte[300];
    byte[] large = new byte[70_000];
    for (int i = 0; i < large.length; i++) {
      large[i] = (byte) i;
      medium[i % 300] = (byte) (i * 7);
    }
    ByteArrayOutputStream frames = new ByteArrayOutputStream();
    frames.writeBytes(frame(WsServerDecoder.BINARY, small));
    frames.writeBytes(frame(WsServerDecoder.PING, new byte[] {9}));
    frames.writeBytes(frame(WsServerDecoder.BINARY, medium));
    frames.writeBytes(frame(WsServerDecoder.CONTINUATION, large));
    feed(frames.toByteArray(), 999);
    ByteArrayOutputStream expected = new ByteArrayOutputStream();
    expected.writeBytes(small);
    expected.writeBytes(medium);
    expected.writeBytes(large);
    assertThat(received()).isEqualTo(expected.toByteArray());
    assertThat(sent()).isEqualTo("\u008a\u0001\u0009"); // the pong, with the ping's payload

    ch.writeOutbound(Unpooled.copiedBuffer("world", StandardCharsets.US_ASCII));
    ch.writeOutbound(Unpooled.wrappedBuffer(new byte[200]));
    String out = sent();
    assertThat(out).startsWith("\u0082\u0005world\u0082\u007e\u0000\u00c8"); // unmasked
    assertThat(out).hasSize(7 + 4 + 200);

    feed(frame(WsServerDecoder.CLOSE, new byte[0]), 100);
    assertThat(sent()).isEqualTo("\u0088\u0000");
    assertThat(ch.isOpen()).isFalse();
    assertThat(refused).isEmpty();
  }

  @Test
  void earlyDataInTheProtocolHeaderGoesAheadOfTheFirstFrame() {
    String early =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("first bytes?".getBytes(StandardCharsets.US_ASCII));
    feed(
        (request("/vmess", "Sec-WebSocket-Protocol: " + early + "\r\n")
                + new String(
                    frame(WsServerDecoder.BINARY, "!".getBytes()), StandardCharsets.ISO_8859_1))
            .getBytes(StandardCharsets.ISO_8859_1),
        7);
    assertThat(sent()).contains("Sec-WebSocket-Protocol: " + early + "\r\n");
    assertThat(new String(received(), StandardCharsets.US_ASCII)).isEqualTo("first bytes?!");
  }

  @Test
  void anotherPathNoUpgradeAndAnUnmaskedFrameAreRefused() {
    feed(request("/other").getBytes(StandardCharsets.US_ASCII), 1000);
    assertThat(sent()).startsWith("HTTP/1.1 404 Not Found\r\n");
    assertThat(ch.isOpen()).isFalse();
    assertThat(refused).containsExactly("a request for /other");

    EmbeddedChannel plain =
        new EmbeddedChannel(
            new WsServerDecoder("/", (c, why) -> refused.add(why)), new WsFrameEncoder());
    plain.writeInbound(
        Unpooled.copiedBuffer("GET / HTTP/1.1\r\nHost: x\r\n\r\n", StandardCharsets.US_ASCII));
    assertThat(refused).last().isEqualTo("a request for / without a WebSocket upgrade");
    assertThat(plain.isOpen()).isFalse();
    plain.finishAndReleaseAll();

    EmbeddedChannel unmasked =
        new EmbeddedChannel(
            new WsServerDecoder("/", (c, why) -> refused.add(why)), new WsFrameEncoder());
    unmasked.writeInbound(Unpooled.copiedBuffer(request("/"), StandardCharsets.US_ASCII));
    unmasked.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x82, 1, 'x'}));
    assertThat((Object) unmasked.readInbound()).isNull();
    assertThat(unmasked.isOpen()).isFalse();
    unmasked.finishAndReleaseAll();
  }
}
