package dev.turnout.outbound.shadowsocks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.turnout.outbound.Channels;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Shadowsocks plugins' framing on bytes: simple-obfs tls's ClientHello and records, v2ray-
 * plugin's Mux.Cool frames; and malformed or fuzzed server bytes, which close only the one channel.
 */
class PluginCodecTest {
  private static String read(EmbeddedChannel ch) {
    StringBuilder s = new StringBuilder();
    for (ByteBuf b; (b = ch.readInbound()) != null; b.release()) {
      s.append(b.toString(StandardCharsets.ISO_8859_1));
    }
    return s.toString();
  }

  @Test
  void obfsTlsHidesTheFirstChunkInAClientHelloThenUsesRecords() {
    EmbeddedChannel ch = new EmbeddedChannel(new ObfsTlsCodec("bing.com", new Random(1), 0));
    ch.writeOutbound(Unpooled.copiedBuffer("abc", StandardCharsets.US_ASCII));
    String hello = Channels.sentHex(ch);
    // Record header: handshake, TLS 1.0, 212 + 3 + 8 bytes; ClientHello of 208 + 11.
    assertThat(hello).startsWith("160301" + "00df" + "01" + "00" + "00db" + "0303");
    // The session ticket extension carries the data; the SNI names the host.
    assertThat(hello).contains("0023" + "0003" + "616263");
    assertThat(hello).contains("0000000d000b000008" + "62696e672e636f6d");
    assertThat(hello.length() / 2).isEqualTo(5 + 212 + 3 + 8);
    ch.writeOutbound(Unpooled.copiedBuffer("de", StandardCharsets.US_ASCII));
    assertThat(Channels.sentHex(ch)).isEqualTo("170303" + "0002" + "6465");
    ch.finishAndReleaseAll();
  }

  @Test
  void obfsTlsReadsTheFakeServerHelloThenRecords() {
    EmbeddedChannel ch = new EmbeddedChannel(new ObfsTlsCodec("h", new Random(1), 0));
    ByteBuf reply = Unpooled.buffer();
    reply.writeBytes(new byte[102]); // ServerHello (96) and ChangeCipherSpec (6), unread
    reply.writeByte(0x16).writeShort(0x0303).writeShort(2).writeBytes(new byte[] {'h', 'i'});
    reply.writeByte(0x17).writeShort(0x0303).writeShort(1).writeByte('!');
    ch.writeInbound(reply.readRetainedSlice(50));
    ch.writeInbound(reply);
    assertThat(read(ch)).isEqualTo("hi!");
    assertThat(ch.isOpen()).isTrue();
    ch.finishAndReleaseAll();
  }

  @Test
  void obfsTlsClosesOnAnUnknownRecordOrOneTooLong() {
    for (String record : List.of("150303" + "0001" + "00", "170303" + "ffff")) {
      EmbeddedChannel ch = new EmbeddedChannel(new ObfsTlsCodec("h", new Random(1), 0));
      ch.writeInbound(Unpooled.wrappedBuffer(new byte[102]));
      ch.writeInbound(Unpooled.wrappedBuffer(HexFormat.of().parseHex("160303000100")));
      read(ch);
      ch.writeInbound(Unpooled.wrappedBuffer(HexFormat.of().parseHex(record)));
      assertThat(ch.isOpen()).as(record).isFalse();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void muxOpensASessionThenSendsKeepFramesWithData() {
    EmbeddedChannel ch = new EmbeddedChannel(new MuxCoolCodec());
    ch.writeOutbound(Unpooled.copiedBuffer("ab", StandardCharsets.US_ASCII));
    assertThat(Channels.sentHex(ch))
        .isEqualTo(
            "000c"
                + "0000"
                + "01"
                + "00"
                + "01"
                + "0000"
                + "01"
                + "7f000001"
                + "0004"
                + "0000"
                + "02"
                + "01"
                + "0002"
                + "6162");
    ch.finishAndReleaseAll();
  }

  @Test
  void muxDeliversDataSkipsKeepAlivesAndEndsTheStreamOnEnd() {
    List<Object> events = new ArrayList<>();
    EmbeddedChannel ch =
        new EmbeddedChannel(
            new MuxCoolCodec(),
            new ChannelInboundHandlerAdapter() {
              @Override
              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                ctx.fireChannelRead(msg);
              }

              @Override
              public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                events.add(evt);
              }
            });
    ch.writeInbound(
        Unpooled.wrappedBuffer(
            HexFormat.of()
                .parseHex(
                    "0004000002010002"
                        + "6869" // keep with "hi"
                        + "0004000004"
                        + "00" // keep-alive
                        + "000400000201000121" // keep with "!"
                        + "0004000003"
                        + "00"))); // end
    assertThat(read(ch)).isEqualTo("hi!");
    assertThat(events).containsExactly(ChannelInputShutdownEvent.INSTANCE);
    ch.finishAndReleaseAll();
  }

  @Test
  void fuzzedServerBytesNeverThrow() {
    Random random = new Random(11);
    for (int i = 0; i < 400; i++) {
      byte[] junk = new byte[random.nextInt(200)];
      random.nextBytes(junk);
      for (EmbeddedChannel ch :
          List.of(
              new EmbeddedChannel(new MuxCoolCodec()),
              new EmbeddedChannel(new ObfsTlsCodec("h", random, 0)))) {
        assertThatCode(() -> ch.writeInbound(Unpooled.wrappedBuffer(junk)))
            .doesNotThrowAnyException();
        assertThatCode(ch::checkException).doesNotThrowAnyException();
        ch.finishAndReleaseAll();
      }
    }
  }
}
