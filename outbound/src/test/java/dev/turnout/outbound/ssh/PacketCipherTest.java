package dev.turnout.outbound.ssh;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Each cipher opens what its twin sealed, packet after packet (the counters and the CTR keystream
 * carry over), and refuses a packet with one bit changed anywhere (length, body or tag) or
 * replayed.
 */
class PacketCipherTest {
  private static final byte[] KEY = new byte[32];
  private static final byte[] IV = new byte[16];
  private static final byte[] MAC_KEY = new byte[64];

  static {
    new SplittableRandom(1).nextBytes(KEY);
    new SplittableRandom(2).nextBytes(IV);
    new SplittableRandom(3).nextBytes(MAC_KEY);
  }

  /** The ciphers under test: a factory of one direction (true: sealing). */
  private static final List<BiFunction<Boolean, Integer, PacketCipher>> CIPHERS =
      List.of(
          (seal, n) -> new AesGcm(Arrays.copyOf(KEY, 16), IV, seal),
          (seal, n) -> new AesGcm(KEY, IV, seal),
          (seal, n) ->
              new AesCtrHmac(
                  Arrays.copyOf(KEY, 16),
                  IV,
                  "HmacSHA256",
                  Arrays.copyOf(MAC_KEY, 32),
                  false,
                  seal),
          (seal, n) -> new AesCtrHmac(KEY, IV, "HmacSHA512", MAC_KEY, true, seal));

  /** A packet as {@link PacketCodec} lays it out: length, padding length, payload, padding. */
  private static byte[] packet(PacketCipher c, int payload) {
    int aligned = (c.lengthInClear() ? 1 : 5) + payload;
    int padding = c.blockSize() - aligned % c.blockSize();
    if (padding < 4) {
      padding += c.blockSize();
    }
    byte[] p = new byte[5 + payload + padding];
    int length = p.length - 4;
    p[0] = (byte) (length >>> 24);
    p[1] = (byte) (length >>> 16);
    p[2] = (byte) (length >>> 8);
    p[3] = (byte) length;
    p[4] = (byte) padding;
    for (int i = 0; i < payload; i++) {
      p[5 + i] = (byte) (i * 7 + payload);
    }
    return p;
  }

  private static byte[] open(PacketCipher in, int seq, byte[] wire) throws SshException {
    byte[] w = wire.clone();
    byte[] first = Arrays.copyOf(w, in.lengthInClear() ? 4 : in.blockSize());
    in.openFirst(first);
    System.arraycopy(first, 0, w, 0, first.length);
    return in.open(seq, w);
  }

  @Test
  void opensWhatItsTwinSealedPacketAfterPacket() throws Exception {
    for (var factory : CIPHERS) {
      PacketCipher out = factory.apply(true, 0);
      PacketCipher in = factory.apply(false, 0);
      for (int seq = 0; seq < 20; seq++) {
        byte[] plain = packet(out, seq * 97 % 5000 + 1);
        byte[] wire = out.seal(seq, plain.clone());
        assertThat(wire).hasSize(plain.length + out.tagLength());
        if (!out.lengthInClear()) {
          assertThat(Arrays.copyOf(wire, 4)).isNotEqualTo(Arrays.copyOf(plain, 4));
        }
        assertThat(open(in, seq, wire)).isEqualTo(plain);
      }
    }
  }

  @Test
  void refusesAPacketWithABitChanged() throws Exception {
    for (var factory : CIPHERS) {
      PacketCipher out = factory.apply(true, 0);
      byte[] plain = packet(out, 300);
      byte[] wire = out.seal(7, plain.clone());
      for (int at : new int[] {0, 3, 4, 20, wire.length - 1}) {
        if (at < 4 && !out.lengthInClear()) {
          continue; // an encrypted length changes the length PacketCodec reads, checked there
        }
        byte[] bad = wire.clone();
        bad[at] ^= 0x10;
        PacketCipher in = factory.apply(false, 0);
        assertThatThrownBy(() -> open(in, 7, bad)).isInstanceOf(SshException.class);
      }
      PacketCipher in = factory.apply(false, 0);
      assertThat(open(in, 7, wire)).isEqualTo(plain);
      assertThatThrownBy(() -> open(in, 8, wire))
          .as("a packet replayed: the nonce, the keystream and the sequence number moved on")
          .isInstanceOf(SshException.class);
    }
  }

  @Test
  void keysExtendPastOneHash() {
    byte[] k = {0, 0, 0, 1, 5};
    byte[] h = new byte[32];
    byte[] id = new byte[32];
    byte[] long64 = Kex.derive(k, h, id, 'E', 64);
    assertThat(Arrays.copyOf(long64, 32)).isEqualTo(Kex.derive(k, h, id, 'E', 32));
    assertThat(Kex.derive(k, h, id, 'C', 32)).isNotEqualTo(Arrays.copyOf(long64, 32));
  }
}
