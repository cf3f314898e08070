package dev.turnout.outbound.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** HChaCha20 against the test vector of draft-irtf-cfrg-xchacha, section 2.2.1, and XChaCha20. */
class HChaCha20Test {
  @Test
  void theDraftsTestVector() {
    byte[] key = new byte[32];
    for (int i = 0; i < 32; i++) {
      key[i] = (byte) i;
    }
    byte[] nonce = HexFormat.of().parseHex("000000090000004a0000000031415927");
    assertThat(HexFormat.of().formatHex(HChaCha20.subkey(key, nonce)))
        .isEqualTo("82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc");
  }

  @Test
  void xchachaSealsAndOpensWithCountingNonces() {
    byte[] key = new byte[32];
    Aead seal = new Aead(Aead.XCHACHA20_POLY1305, "ChaCha20", key);
    Aead open = new Aead(Aead.XCHACHA20_POLY1305, "ChaCha20", key);
    ByteBuf wire = Unpooled.buffer();
    for (int i = 0; i < 3; i++) {
      seal.seal(Unpooled.wrappedBuffer(new byte[] {(byte) i, 2, 3}), 3, wire);
    }
    ByteBuf plain = Unpooled.buffer();
    for (int i = 0; i < 3; i++) {
      assertThat(open.open(wire, 3 + Aead.TAG, plain)).isTrue();
    }
    assertThat(plain.readableBytes()).isEqualTo(9);
    assertThat(plain.getByte(6)).isEqualTo((byte) 2);
  }
}
