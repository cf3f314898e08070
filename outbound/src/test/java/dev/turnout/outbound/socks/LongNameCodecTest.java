package dev.turnout.outbound.socks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.testing.LeakCheck;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/**
 * Issue 14, defect 2, for SOCKS5: a name no request can carry allocates nothing and leaks nothing.
 */
class LongNameCodecTest {
  static final String ESCAPED = "\\000".repeat(189) + ".ex";

  @Test
  void twentyThousandUdpDatagramsToALongNameAreDroppedAndReleased() throws Exception {
    try (LeakCheck leaks = LeakCheck.paranoid()) {
      EmbeddedChannel udp =
          new EmbeddedChannel(new Socks5DatagramCodec(new InetSocketAddress("127.0.0.1", 1080)));
      udp.config().setAllocator(PooledByteBufAllocator.DEFAULT);
      for (int i = 0; i < 20_000; i++) {
        udp.writeOneOutbound(
            new AddressedDatagram(
                new Destination(ESCAPED, null, 53),
                PooledByteBufAllocator.DEFAULT.buffer(512).writeZero(512)));
      }
      udp.flushOutbound();
      assertThat((Object) udp.readOutbound()).isNull();
      udp.finishAndReleaseAll();
      leaks.assertNoLeaks();
    }
  }

  @Test
  void theTcpRequestAndTheAddressEncoderRefuseBeforeWriting() {
    Destination tooLong = new Destination("a".repeat(256), null, 443);
    assertThatThrownBy(() -> Socks5Handshake.commandRequest(Socks5CommandType.CONNECT, tooLong))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SocksAddress.length(tooLong))
        .isInstanceOf(IllegalArgumentException.class);
    var out = PooledByteBufAllocator.DEFAULT.buffer(8);
    assertThatThrownBy(() -> SocksAddress.write(tooLong, out))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(out.writerIndex()).isZero();
    out.release();
  }
}
