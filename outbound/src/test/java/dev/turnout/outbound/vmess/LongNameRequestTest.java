package dev.turnout.outbound.vmess;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.outbound.Destination;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Issue 14, defect 2, for VMess: a name no request can carry is refused before anything. */
class LongNameRequestTest {
  @Test
  void theRequestHeaderRefusesALongName() {
    Random random = new Random(14);
    VmessSession session = new VmessSession(VmessSession.AES_128_GCM, random);
    assertThatThrownBy(
            () ->
                VmessHeader.request(
                    session, new Destination("\\000".repeat(189) + ".ex", null, 443), random))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
