package dev.turnout.outbound.transport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.turnout.outbound.Channels;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The transports' framing on bytes through EmbeddedChannels: gRPC gun messages, the HTTP header
 * disguise, WebSocket frames; and server replies that are truncated, oversized or garbage, which
 * close that one channel and never throw into the pipeline.
 */
class TransportCodecTest {
  private static ByteBuf hex(String h) {
    return Unpooled.wrappedBuffer(HexFormat.of().parseHex(h.replace(" ", "")));
  }

  private static ByteBuf ascii(String s) {
    return Unpooled.copiedBuffer(s, StandardCharsets.ISO_8859_1);
  }

  /** Everything that reached the tail as bytes, concatenated, as text. */
  private static String read(EmbeddedChannel ch) {
    StringBuilder s = new StringBuilder();
    for (Object m; (m = ch.readInbound()) != null; ) {
      ByteBuf b = (ByteBuf) m;
      s.append(b.toString(StandardCharsets.ISO_8859_1));
      b.release();
    }
    return s.toString();
  }

  @Test
  void gunWrapsEachChunkInAGrpcMessageHoldingOneHunk() {
    EmbeddedChannel ch = new EmbeddedChannel(new GunCodec());
    ch.writeOutbound(ascii("hello"));
    // flag 0, length 7, field 1 length-delimited (0a), 5 bytes: as grpc-go frames a Hunk.
    assertThat(Channels.sentHex(ch)).isEqualTo("0000000007" + "0a05" + "68656c6c6f");
    ByteBuf big = Unpooled.wrappedBuffer(new byte[300]);
    ch.writeOutbound(big);
    assertThat(Channels.sentHex(ch)).startsWith("000000012f" + "0aac02"); // 300 = ac 02
    ch.finishAndReleaseAll();
  }

  @Test
  void gunReassemblesMessagesAcrossAndWithinReads() {
    EmbeddedChannel ch = new EmbeddedChannel(new GunCodec());
    ch.writeInbound(hex("0000000007 0a05 6865"));
    assertThat(read(ch)).isEmpty();
    ch.writeInbound(hex("6c6c6f 0000000004 0a02 2121"));
    assertThat(read(ch)).isEqualTo("hello!!");
    // Unknown fields (2 as varint, 3 as bytes) are skipped.
    ch.writeInbound(hex("000000000a 1001 1a02 ffff 0a02 4f4b"));
    assertThat(read(ch)).isEqualTo("OK");
    assertThat(ch.isOpen()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void gunClosesOnCompressedOversizedOrMalformedMessages() {
    for (String bad :
        List.of(
            "0100000002 0a00", // compressed
            "0000200001", // 2 MiB + 1 announced
            "0000000003 0a05 41", // data longer than the message
            "0000000002 0f01", // wire type 7
            "0000000006 0affffffffff")) { // varint that never ends
      EmbeddedChannel ch = new EmbeddedChannel(new GunCodec());
      assertThatCode(() -> ch.writeInbound(hex(bad))).doesNotThrowAnyException();
      assertThat(ch.isOpen()).as(bad).isFalse();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void gunSurvivesFuzzedServerBytes() {
    Random random = new Random(18);
    for (int i = 0; i < 500; i++) {
      EmbeddedChannel ch = new EmbeddedChannel(new GunCodec());
      byte[] junk = new byte[random.nextInt(64)];
      random.nextBytes(junk);
      if (junk.length > 5 && random.nextBoolean()) {
        junk[0] = 0; // a plausible header now and then
        junk[1] = junk[2] = 0;
      }
      assertThatCode(() -> ch.writeInbound(Unpooled.wrappedBuffer(junk)))
          .doesNotThrowAnyException();
      assertThatCode(ch::checkException).doesNotThrowAnyException();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void theHttpDisguisePrefixesTheFirstChunkOnlyAndStripsTheReplyHead() {
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new HttpDisguise(n -> "GET / HTTP/1.1\r\nContent-Length: " + n + "\r\n\r\n"));
    ch.writeOutbound(ascii("one"));
    ch.writeOutbound(ascii("two"));
    assertThat(new String(HexFormat.of().parseHex(Channels.sentHex(ch)), StandardCharsets.US_ASCII))
        .isEqualTo("GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\nonetwo");
    ch.writeInbound(ascii("HTTP/1.1 200 OK\r\nContent-Type: app"));
    assertThat(read(ch)).isEmpty();
    ch.writeInbound(ascii("lication/octet-stream\r\n\r\nhello"));
    ch.writeInbound(ascii(" again"));
    assertThat(read(ch)).isEqualTo("hello again");
    ch.finishAndReleaseAll();
  }

  @Test
  void theHttpDisguiseClosesOnAHeadTooLongOrNotHttp() {
    EmbeddedChannel ch = new EmbeddedChannel(new HttpDisguise(n -> ""));
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[HttpDisguise.MAX_HEAD + 1]));
    assertThat(ch.isOpen()).isFalse();
    ch.finishAndReleaseAll();
    EmbeddedChannel other = new EmbeddedChannel(new HttpDisguise(n -> ""));
    other.writeInbound(ascii("SSH-2.0-x\r\n\r\n"));
    assertThat(other.isOpen()).isFalse();
    assertThat(read(other)).isEmpty();
    other.finishAndReleaseAll();
  }

  @Test
  void webSocketFramesCarryTheStreamAndAPingIsAnswered() {
    List<Object> events = new ArrayList<>();
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new WsFrames(),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
              }
            });
    ch.writeOutbound(ascii("up"));
    BinaryWebSocketFrame out = ch.readOutbound();
    assertThat(out.content().toString(StandardCharsets.US_ASCII)).isEqualTo("up");
    out.release();
    ch.writeInbound(new BinaryWebSocketFrame(ascii("down")));
    ch.writeInbound(new PingWebSocketFrame(ascii("p")));
    PongWebSocketFrame pong = ch.readOutbound();
    assertThat(pong.content().toString(StandardCharsets.US_ASCII)).isEqualTo("p");
    pong.release();
    ch.writeInbound(new CloseWebSocketFrame());
    ch.pipeline().fireUserEventTriggered(ChannelInputShutdownEvent.INSTANCE);
    assertThat(read(ch)).isEqualTo("down");
    assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
    ch.finishAndReleaseAll();
  }
}
