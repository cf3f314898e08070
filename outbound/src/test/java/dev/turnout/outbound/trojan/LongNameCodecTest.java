package dev.turnout.outbound.trojan;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.AddressedDatagram;
import dev.turnout.outbound.Destination;
import dev.turnout.testing.LeakCheck;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import org.junit.jupiter.api.Test;

/** Issue 14, defect 2, for Trojan: a name no request can carry leaks nothing. */
class LongNameCodecTest {
  static final String ESCAPED = "\\000".repeat(189) + ".ex";

  @Test
  void twentyThousandUdpPacketsToALongNameAreDroppedAndReleased() throws Exception {
    try (LeakCheck leaks = LeakCheck.paranoid()) {
      EmbeddedChannel stream = new EmbeddedChannel(new TrojanDatagramCodec("tj"));
      stream.config().setAllocator(PooledByteBufAllocator.DEFAULT);
      for (int i = 0; i < 20_000; i++) {
        stream.writeOneOutbound(
            new AddressedDatagram(
                new Destination(ESCAPED, null, 53),
                PooledByteBufAllocator.DEFAULT.buffer(512).writeZero(512)));
      }
      stream.flushOutbound();
      Object out;
      while ((out = stream.readOutbound()) != null) {
        assertThat(((io.netty.buffer.ByteBuf) out).readableBytes()).isZero();
        ((io.netty.buffer.ByteBuf) out).release();
      }
      stream.finishAndReleaseAll();
      leaks.assertNoLeaks();
    }
  }

  @Test
  void theConnectRequestRefusesBeforeAllocating() throws Exception {
    try (LeakCheck leaks = LeakCheck.paranoid()) {
      for (int i = 0; i < 1_000; i++) {
        assertThatThrownBy(
                () ->
                    TrojanRequest.connect(
                        PooledByteBufAllocator.DEFAULT,
                        new byte[56],
                        new Destination(ESCAPED, null, 443)))
            .isInstanceOf(IllegalArgumentException.class);
      }
      leaks.assertNoLeaks();
    }
  }
}
