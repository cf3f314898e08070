package dev.turnout.outbound.crypto;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** BLAKE2s against RFC 7693 and against Python's hashlib.blake2s (keyed and unkeyed). */
class Blake2sTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void rfc7693AppendixB() {
    assertThat(HEX.formatHex(Blake2s.hash("abc".getBytes())))
        .isEqualTo("508c5e8c327c14e2e1a72ba34eeb452f37458b209ed63a294d999b4c86675982");
  }

  /** RFC 7693 Appendix E: the self-test over every digest and input length it lists. */
  @Test
  void rfc7693AppendixESelfTest() {
    int[] outLengths = {16, 20, 28, 32};
    int[] inLengths = {0, 3, 64, 65, 255, 1024};
    Blake2s all = new Blake2s(32);
    byte[] in = new byte[1024];
    for (int outLength : outLengths) {
      for (int inLength : inLengths) {
        sequence(in, inLength, inLength);
        byte[] md = new Blake2s(outLength).update(in, 0, inLength).digest();
        all.update(md, 0, md.length);
        byte[] key = new byte[outLength];
        sequence(key, outLength, outLength);
        md = Blake2s.mac(key, outLength, in, 0, inLength);
        all.update(md, 0, md.length);
      }
    }
    assertThat(HEX.formatHex(all.digest()))
        .isEqualTo("6a411f08ce25adcdfb02aba641451cec53c598b24f4fc787fbdc88797f4c1dfe");
  }

  /** The RFC's selftest_seq: a deterministic byte sequence seeded by {@code seed}. */
  private static void sequence(byte[] out, int length, int seed) {
    int a = 0xDEAD4BAD * seed;
    int b = 1;
    for (int i = 0; i < length; i++) {
      int t = a + b;
      a = b;
      b = t;
      out[i] = (byte) (t >>> 24);
    }
  }

  @Test
  void matchesPythonHashlib() {
    // python3: hashlib.blake2s(data, key=..., digest_size=...).hexdigest()
    assertThat(HEX.formatHex(Blake2s.mac(range(32), 16, new byte[0], 0, 0)))
        .isEqualTo("9536f9b267655743dee97b8a670f9f53");
    assertThat(HEX.formatHex(Blake2s.mac(range(32), 32, range(200), 0, 200)))
        .isEqualTo("13c88480a5d00d6c8c7ad2110d76a82d9b70f4fa6696d4e5dd42a066dcaf9920");
    assertThat(HEX.formatHex(Blake2s.hash(range(64))))
        .isEqualTo("56f34e8b96557e90c1f24b52d0c89d51086acf1b00f634cf1dde9233b8eaaa3e");
    assertThat(HEX.formatHex(Blake2s.mac("kkkkkkk".getBytes(), 16, range(65), 0, 65)))
        .isEqualTo("edec6c1a4cdc1a45596c29e345b79ff7");
  }

  @Test
  void anySplitOfTheInputGivesTheSameDigest() {
    SplittableRandom random = new SplittableRandom(7693);
    for (int round = 0; round < 200; round++) {
      byte[] data = new byte[random.nextInt(300)];
      random.nextBytes(data);
      byte[] whole = Blake2s.hash(data);
      Blake2s pieces = new Blake2s(32);
      int at = 0;
      while (at < data.length) {
        int n = Math.min(data.length - at, random.nextInt(70));
        pieces.update(data, at, n);
        at += n;
      }
      assertThat(pieces.digest()).isEqualTo(whole);
    }
  }

  private static byte[] range(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) i;
    }
    return b;
  }
}
