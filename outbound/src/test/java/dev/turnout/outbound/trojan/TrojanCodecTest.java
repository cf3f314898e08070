package dev.turnout.outbound.trojan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.RecordingAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.embedded.EmbeddedChannel;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The Trojan request headers on bytes. (That nothing goes out before TLS is up is {@code
 * TlsTransportTest}'s.)
 */
class TrojanCodecTest {
  /** SHA-224("password") in hex, as {@code printf password | sha224sum} prints it. */
  private static final String PASSWORD_HASH =
      "d63dc919e201d7bc4c825630d2cf25fdc93d4b2f0d46706d29038d01";

  private static final Destination TARGET = new Destination("example.org", null, 443);

  private final RecordingAllocator alloc = new RecordingAllocator();
  private final EmbeddedChannel ch = new EmbeddedChannel();

  @AfterEach
  void noExceptionEscapedAndNothingLeft() {
    assertThatCode(ch::checkException).doesNotThrowAnyException();
    ch.finishAndReleaseAll();
    alloc.assertAllReleased();
  }

  private static String ascii(String s) {
    return HexFormat.of().formatHex(s.getBytes(StandardCharsets.US_ASCII));
  }

  private String header(Destination d) {
    ByteBuf b = TrojanRequest.connect(alloc, hash(), d);
    String s = ByteBufUtil.hexDump(b);
    b.release();
    return s;
  }

  private static byte[] hash() {
    return TrojanRequest.passwordHash("password");
  }

  @Test
  void thePasswordIsSentAsTheHexOfItsSha224() {
    assertThat(new String(hash(), StandardCharsets.US_ASCII)).isEqualTo(PASSWORD_HASH);
    assertThat(TrojanRequest.passwordHash("pässword")).hasSize(56);
  }

  @Test
  void theHeaderIsHashCrlfCommandAddressCrlf() throws Exception {
    String crlf = "0d0a";
    assertThat(header(TARGET))
        .isEqualTo(
            ascii(PASSWORD_HASH)
                + crlf
                + "01"
                + "03"
                + "0b"
                + ascii("example.org")
                + "01bb"
                + crlf);
    Destination v4 = new Destination(null, InetAddress.getByName("198.51.100.7"), 80);
    assertThat(header(v4))
        .isEqualTo(ascii(PASSWORD_HASH) + crlf + "01" + "01" + "c6336407" + "0050" + crlf);
    Destination v6 = new Destination(null, InetAddress.getByName("2001:db8::1"), 8443);
    assertThat(header(v6))
        .isEqualTo(
            ascii(PASSWORD_HASH)
                + crlf
                + "01"
                + "04"
                + "20010db8000000000000000000000001"
                + "20fb"
                + crlf);
  }

  @Test
  void aNameLongerThanTheEncodingAllowsIsRefusedWithoutALeak() {
    Destination tooLong = new Destination("a".repeat(256), null, 443);
    assertThatThrownBy(() -> TrojanRequest.connect(alloc, hash(), tooLong))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(alloc.count()).as("refused before anything is allocated").isZero();
  }

  @Test
  void theUdpAssociateHeaderCarriesCommandThreeAndAnUnusedAddress() {
    ByteBuf b = TrojanRequest.associate(alloc, hash());
    assertThat(ByteBufUtil.hexDump(b))
        .isEqualTo(ascii(PASSWORD_HASH) + "0d0a" + "03" + "01" + "00000000" + "0000" + "0d0a");
    b.release();
  }
}
