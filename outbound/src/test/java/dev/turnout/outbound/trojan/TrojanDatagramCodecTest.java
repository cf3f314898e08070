package dev.turnout.outbound.trojan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.Destination;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Trojan's UDP packets on the stream, both ways, and malformed or fuzzed server packets. */
class TrojanDatagramCodecTest {
  private static final String ECHO = "01" + "c6336401" + "270f"; // 198.51.100.1:9999

  @Test
  void aDatagramIsAddressLengthCrlfPayload() throws Exception {
    EmbeddedChannel ch = new EmbeddedChannel(new TrojanDatagramCodec("t"));
    Destination echo = new Destination(null, InetAddress.getByName("198.51.100.1"), 9999);
    ch.writeOutbound(
        new AddressedDatagram(echo, Unpooled.copiedBuffer("ping", StandardCharsets.US_ASCII)));
    assertThat(Channels.sentHex(ch)).isEqualTo(ECHO + "0004" + "0d0a" + "70696e67");
    ch.finishAndReleaseAll();
  }

  @Test
  void packetsAreReadAcrossSegmentsAndSeveralInOne() {
    EmbeddedChannel ch = new EmbeddedChannel(new TrojanDatagramCodec("t"));
    byte[] two =
        HexFormat.of().parseHex(ECHO + "0002" + "0d0a" + "6869" + ECHO + "0001" + "0d0a" + "21");
    ch.writeInbound(Unpooled.wrappedBuffer(two, 0, 5));
    assertThat((Object) ch.readInbound()).isNull();
    ch.writeInbound(Unpooled.wrappedBuffer(two, 5, two.length - 5));
    AddressedDatagram a = ch.readInbound();
    AddressedDatagram b = ch.readInbound();
    assertThat(a.peer().toString()).isEqualTo("198.51.100.1:9999");
    assertThat(a.content().toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
    assertThat(b.content().toString(StandardCharsets.US_ASCII)).isEqualTo("!");
    a.release();
    b.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void aMalformedPacketClosesTheSession() {
    for (String bad :
        new String[] {
          "09" + "00", ECHO + "0001" + "4141" + "21", "01c633640100000001" + "0d0a21"
        }) {
      EmbeddedChannel ch = new EmbeddedChannel(new TrojanDatagramCodec("t"));
      ch.writeInbound(Unpooled.wrappedBuffer(HexFormat.of().parseHex(bad)));
      assertThat(ch.isOpen()).as(bad).isFalse();
      ch.finishAndReleaseAll();
    }
  }

  @Test
  void fuzzedServerBytesNeverThrow() {
    Random random = new Random(3);
    for (int i = 0; i < 500; i++) {
      EmbeddedChannel ch = new EmbeddedChannel(new TrojanDatagramCodec("t"));
      byte[] junk = new byte[random.nextInt(80)];
      random.nextBytes(junk);
      if (junk.length > 0 && random.nextBoolean()) {
        junk[0] = (byte) (1 + 3 * random.nextInt(2));
      }
      assertThatCode(() -> ch.writeInbound(Unpooled.wrappedBuffer(junk)))
          .doesNotThrowAnyException();
      assertThatCode(ch::checkException).doesNotThrowAnyException();
      ch.finishAndReleaseAll();
    }
  }
}
