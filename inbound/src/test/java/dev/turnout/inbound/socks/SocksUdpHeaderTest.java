package dev.turnout.inbound.socks;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The SOCKS5 UDP header on hand-built bytes. */
class SocksUdpHeaderTest {
  private static ByteBuf bytes(String hex) {
    return Unpooled.wrappedBuffer(HexFormat.of().parseHex(hex.replace(" ", "")));
  }

  @Test
  void readsAnIpv4DatagramAndLeavesThePayload() {
    ByteBuf in = bytes("0000 00 01 cb00710a 0007 6869");
    assertThat(SocksUdpHeader.check(in)).isEqualTo(SocksUdpHeader.Verdict.DATAGRAM);
    assertThat(in.readerIndex()).as("check does not move").isZero();
    Destination d = SocksUdpHeader.read(in);
    assertThat(d.address().getHostAddress()).isEqualTo("203.0.113.10");
    assertThat(d.port()).isEqualTo(7);
    assertThat(in.toString(StandardCharsets.US_ASCII)).isEqualTo("hi");
  }

  @Test
  void readsANameAndIpv6() {
    ByteBuf named = bytes("0000 00 03 04 65 63 68 6f 0035 00");
    assertThat(SocksUdpHeader.check(named)).isEqualTo(SocksUdpHeader.Verdict.DATAGRAM);
    assertThat(SocksUdpHeader.read(named)).isEqualTo(new Destination("echo", null, 53));
    ByteBuf v6 = bytes("0000 00 04 20010db8000000000000000000000001 0035");
    assertThat(SocksUdpHeader.check(v6)).isEqualTo(SocksUdpHeader.Verdict.DATAGRAM);
    assertThat(SocksUdpHeader.read(v6).address().getHostAddress())
        .isEqualTo("2001:db8:0:0:0:0:0:1");
    assertThat(v6.isReadable()).as("an empty payload is a datagram too").isFalse();
  }

  @Test
  void fragmentsAndMalformedHeadersAreToldApart() {
    assertThat(SocksUdpHeader.check(bytes("0000 01 01 cb00710a 0007 68")))
        .isEqualTo(SocksUdpHeader.Verdict.FRAGMENT);
    assertThat(SocksUdpHeader.check(bytes("0001 00 01 cb00710a 0007")))
        .as("RSV must be zero")
        .isEqualTo(SocksUdpHeader.Verdict.MALFORMED);
    assertThat(SocksUdpHeader.check(bytes("0000 00 01 cb00")))
        .as("truncated address")
        .isEqualTo(SocksUdpHeader.Verdict.MALFORMED);
    assertThat(SocksUdpHeader.check(bytes("0000 00 02 cb00710a 0007")))
        .as("unknown ATYP")
        .isEqualTo(SocksUdpHeader.Verdict.MALFORMED);
    assertThat(SocksUdpHeader.check(bytes("0000 00 01 cb00710a 0000")))
        .as("port 0")
        .isEqualTo(SocksUdpHeader.Verdict.MALFORMED);
    assertThat(SocksUdpHeader.check(bytes("0000"))).isEqualTo(SocksUdpHeader.Verdict.MALFORMED);
  }

  @Test
  void writesTheHeaderInFrontOfThePayload() throws Exception {
    ByteBuf out =
        SocksUdpHeader.write(
            ByteBufAllocator.DEFAULT,
            new Destination(null, InetAddress.getByName("203.0.113.10"), 7),
            Unpooled.copiedBuffer("hi", StandardCharsets.US_ASCII));
    assertThat(ByteBufUtil.hexDump(out)).isEqualTo("00000001cb00710a00076869");
    out.release();
    ByteBuf named =
        SocksUdpHeader.write(
            ByteBufAllocator.DEFAULT, new Destination("echo", null, 53), Unpooled.EMPTY_BUFFER);
    assertThat(ByteBufUtil.hexDump(named))
        .isEqualTo("000000030465636866f0035".replace("66f", "6f"));
    named.release();
  }

  @Test
  void randomBytesNeverThrowAndWhatIsAcceptedReadsBack() {
    Random random = new Random(20260101);
    for (int i = 0; i < 20_000; i++) {
      byte[] data = new byte[random.nextInt(40)];
      random.nextBytes(data);
      if (data.length > 3 && random.nextBoolean()) {
        data[0] = 0;
        data[1] = 0;
        data[2] = 0;
        data[3] = (byte) (1 + random.nextInt(4));
      }
      ByteBuf in = Unpooled.wrappedBuffer(data);
      if (SocksUdpHeader.check(in) == SocksUdpHeader.Verdict.DATAGRAM) {
        Destination d = SocksUdpHeader.read(in);
        assertThat(d).isNotNull();
        ByteBuf again = SocksUdpHeader.write(ByteBufAllocator.DEFAULT, d, in.retainedSlice());
        assertThat(SocksUdpHeader.check(again)).isEqualTo(SocksUdpHeader.Verdict.DATAGRAM);
        assertThat(SocksUdpHeader.read(again)).isEqualTo(d);
        assertThat(again.readableBytes()).isEqualTo(in.readableBytes());
        again.release();
      }
    }
  }
}
