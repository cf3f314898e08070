package dev.turnout.outbound.vless;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Destination;
import dev.turnout.testing.LeakCheck;
import io.netty.buffer.PooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** Issue 14, defect 2, for VLESS: a name no request can carry is refused before allocating. */
class LongNameRequestTest {
  @Test
  void theHeaderRefusesBeforeAllocating() throws Exception {
    try (LeakCheck leaks = LeakCheck.paranoid()) {
      for (int i = 0; i < 1_000; i++) {
        assertThatThrownBy(
                () ->
                    VlessRequest.header(
                        PooledByteBufAllocator.DEFAULT,
                        new byte[16],
                        VlessRequest.TCP,
                        new Destination("\\000".repeat(189) + ".ex", null, 443)))
            .isInstanceOf(IllegalArgumentException.class);
      }
      leaks.assertNoLeaks();
    }
  }
}
