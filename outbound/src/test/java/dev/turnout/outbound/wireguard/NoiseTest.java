package dev.turnout.outbound.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The handshake's primitives against published vectors and Python's hmac/hashlib. */
class NoiseTest {
  private static final HexFormat HEX = HexFormat.of();

  /** RFC 7748 section 6.1: Alice's and Bob's keys and their shared secret. */
  @Test
  void x25519Rfc7748() {
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    byte[] bob = HEX.parseHex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb");
    assertThat(HEX.formatHex(Noise.publicKey(alice)))
        .isEqualTo("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
    assertThat(HEX.formatHex(Noise.publicKey(bob)))
        .isEqualTo("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f");
    assertThat(HEX.formatHex(Noise.dh(alice, Noise.publicKey(bob))))
        .isEqualTo("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
  }

  @Test
  void lowOrderPublicKeyIsRefused() {
    byte[] alice = HEX.parseHex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a");
    assertThat(Noise.dh(alice, new byte[32])).isNull();
  }

  @Test
  void hmacBlake2sMatchesPython() {
    // python3: hmac.new(b'key', b'The quick brown fox', hashlib.blake2s).hexdigest()
    byte[] mac =
        Noise.hmac(
            "key".getBytes(StandardCharsets.US_ASCII),
            "The quick ".getBytes(StandardCharsets.US_ASCII),
            "brown fox".getBytes(StandardCharsets.US_ASCII));
    assertThat(HEX.formatHex(mac))
        .isEqualTo("8717096fc5e7ac53d11d990acd4380c9ddd7bd8da5d8b5bc29855e6c98a866a4");
  }

  @Test
  void kdfChainsHmacOutputs() {
    byte[] key = new byte[32];
    byte[] input = "input".getBytes(StandardCharsets.US_ASCII);
    byte[][] three = Noise.kdf(3, key, input);
    byte[] t0 = Noise.hmac(key, input);
    assertThat(three[0]).isEqualTo(Noise.hmac(t0, new byte[] {1}));
    assertThat(three[1]).isEqualTo(Noise.hmac(t0, three[0], new byte[] {2}));
    assertThat(three[2]).isEqualTo(Noise.hmac(t0, three[1], new byte[] {3}));
    assertThat(Noise.kdf(1, key, input)[0]).isEqualTo(three[0]);
  }

  @Test
  void aeadOpensWhatItSealedAndNothingElse() {
    byte[] key = new byte[32];
    key[0] = 1;
    byte[] sealed = Noise.seal(key, 7, "hello".getBytes(), "aad".getBytes());
    assertThat(Noise.open(key, 7, sealed, "aad".getBytes())).isEqualTo("hello".getBytes());
    assertThat(Noise.open(key, 8, sealed, "aad".getBytes())).isNull();
    assertThat(Noise.open(key, 7, sealed, "aae".getBytes())).isNull();
    sealed[0] ^= 1;
    assertThat(Noise.open(key, 7, sealed, "aad".getBytes())).isNull();
  }
}
