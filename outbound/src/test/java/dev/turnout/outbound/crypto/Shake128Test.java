package dev.turnout.outbound.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** SHAKE128 against Python's hashlib.shake_128 (known answers, across blocks both ways). */
class Shake128Test {
  private static String hex(Shake128 s, int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) s.nextByte();
    }
    return HexFormat.of().formatHex(b);
  }

  @Test
  void knownAnswers() {
    assertThat(hex(new Shake128(new byte[0]), 32))
        .isEqualTo("7f9c2ba4e88f827d616045507605853ed73b8093f6efbc88eb1a6eacfa66ef26");
    byte[] counting = new byte[16];
    for (int i = 0; i < 16; i++) {
      counting[i] = (byte) i;
    }
    Shake128 s = new Shake128(counting);
    assertThat(s.nextUint16()).isEqualTo(0x9848);
    assertThat(hex(s, 6)).isEqualTo("1946de85c670");
    // 200 input bytes span two blocks; 200 output bytes need a second squeeze.
    assertThat(hex(new Shake128(new byte[200]), 200)).endsWith("3b613c9c294039f1");
  }
}
