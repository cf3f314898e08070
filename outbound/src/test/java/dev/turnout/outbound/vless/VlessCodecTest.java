package dev.turnout.outbound.vless;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The VLESS request header on bytes and the response header taken off the server's stream. */
class VlessCodecTest {
  private static final UUID ID = UUID.fromString("b831381d-6324-4d53-ad4f-8cda48b30811");
  private static final String ID_HEX = "b831381d63244d53ad4f8cda48b30811";

  private static String header(Destination d) {
    ByteBuf b = VlessRequest.header(ByteBufAllocator.DEFAULT, VlessRequest.id(ID), 1, d);
    String s = ByteBufUtil.hexDump(b);
    b.release();
    return s;
  }

  @Test
  void theRequestIsVersionIdNoAddonsCommandPortAddress() throws Exception {
    assertThat(header(new Destination("example.org", null, 443)))
        .isEqualTo(
            "00"
                + ID_HEX
                + "00"
                + "01"
                + "01bb"
                + "02"
                + "0b"
                + HexFormat.of().formatHex("example.org".getBytes(StandardCharsets.US_ASCII)));
    assertThat(header(new Destination(null, InetAddress.getByName("198.51.100.7"), 80)))
        .isEqualTo("00" + ID_HEX + "00" + "01" + "0050" + "01" + "c6336407");
    assertThat(header(new Destination(null, InetAddress.getByName("2001:db8::1"), 80)))
        .isEqualTo(
            "00" + ID_HEX + "00" + "01" + "0050" + "03" + "20010db8" + "0".repeat(22) + "01");
  }

  @Test
  void theResponseHeaderIsTakenOffEvenWhenSplitAndWithAddons() {
    EmbeddedChannel ch = new EmbeddedChannel(new VlessResponseDecoder());
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0}));
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {2, 9}));
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {9, 'h', 'i'}));
    ch.writeInbound(Unpooled.copiedBuffer("!", StandardCharsets.US_ASCII));
    StringBuilder s = new StringBuilder();
    for (ByteBuf b; (b = ch.readInbound()) != null; b.release()) {
      s.append(b.toString(StandardCharsets.US_ASCII));
    }
    assertThat(s).hasToString("hi!");
    assertThat(ch.pipeline().get(VlessResponseDecoder.class)).isNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void anUnknownVersionClosesTheConnection() {
    EmbeddedChannel ch = new EmbeddedChannel(new VlessResponseDecoder());
    ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {1, 0, 'x'}));
    assertThat(ch.isOpen()).isFalse();
    assertThat((Object) ch.readInbound()).isNull();
    ch.finishAndReleaseAll();
  }

  @Test
  void fuzzedRepliesNeverThrow() {
    Random random = new Random(7);
    for (int i = 0; i < 300; i++) {
      EmbeddedChannel ch = new EmbeddedChannel(new VlessResponseDecoder());
      byte[] junk = new byte[random.nextInt(300)];
      random.nextBytes(junk);
      assertThatCode(() -> ch.writeInbound(Unpooled.wrappedBuffer(junk)))
          .doesNotThrowAnyException();
      assertThatCode(ch::checkException).doesNotThrowAnyException();
      ch.finishAndReleaseAll();
    }
  }
}
