package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Checks {@link IpLiterals} against the JDK's own formatting and parsing: every address the JDK
 * writes parses back to the same address, in full and compressed forms, and no string makes the
 * parser throw anything but {@link IllegalArgumentException} or accept what the JDK refuses. Seeded
 * loops: a failure names its seed and input and repeats on every run.
 */
class IpLiteralsPropertyTest {
  private static final long SEED = 0x7e57_1e7e_4a11L;
  private static final int TRIES = 5_000;

  private final Random random = new Random(SEED);

  private byte[] bytes(int n) {
    byte[] b = new byte[n];
    random.nextBytes(b);
    return b;
  }

  @Test
  void everyIpv4AddressTheJdkWritesParsesBack() throws Exception {
    for (int i = 0; i < TRIES; i++) {
      InetAddress expected = InetAddress.getByAddress(bytes(4));
      assertThat(IpLiterals.parse(expected.getHostAddress())).isEqualTo(expected);
    }
  }

  @Test
  void everyIpv6AddressTheJdkWritesParsesBack() throws Exception {
    for (int i = 0; i < TRIES; i++) {
      byte[] bytes = bytes(16);
      InetAddress expected = InetAddress.getByAddress(bytes);
      assertThat(IpLiterals.parse(expected.getHostAddress())).isEqualTo(expected);
      assertThat(IpLiterals.parse(compressed(bytes))).isEqualTo(expected);
      assertThat(IpLiterals.parse(compressed(bytes).toUpperCase())).isEqualTo(expected);
    }
  }

  @Test
  void sparseIpv6AddressesParseInTheirShortestForm() throws Exception {
    for (int i = 0; i < TRIES; i++) {
      byte[] bytes = bytes(16);
      int from = random.nextInt(16);
      int length = random.nextInt(17);
      for (int j = from; j < Math.min(16, from + length); j++) {
        bytes[j] = 0; // runs of zero groups, so that "::" appears in many places
      }
      InetAddress expected = InetAddress.getByAddress(bytes);
      assertThat(IpLiterals.parse(compressed(bytes))).as(compressed(bytes)).isEqualTo(expected);
    }
  }

  @Test
  void anIpv4TailParsesLikeTheJdk() throws Exception {
    for (int i = 0; i < TRIES; i++) {
      byte[] bytes = bytes(16);
      StringBuilder text = new StringBuilder();
      for (int j = 0; j < 12; j += 2) {
        text.append(Integer.toHexString((bytes[j] & 0xff) << 8 | bytes[j + 1] & 0xff)).append(':');
      }
      text.append(InetAddress.getByAddress(Arrays.copyOfRange(bytes, 12, 16)).getHostAddress());
      assertThat(IpLiterals.parse(text.toString()))
          .as(text.toString())
          .isEqualTo(InetAddress.getByAddress(bytes))
          .isEqualTo(InetAddress.getByName(text.toString()));
    }
  }

  @Test
  void aMutatedDottedQuadIsRejected() throws Exception {
    String[] mutations = {
      "lead0", "plus", "space", "tab", "dropPart", "addPart", "emptyPart", "bigPart"
    };
    for (int i = 0; i < TRIES; i++) {
      String valid = InetAddress.getByAddress(bytes(4)).getHostAddress();
      String mutated =
          switch (mutations[random.nextInt(mutations.length)]) {
            case "lead0" -> "0" + valid;
            case "plus" -> "+" + valid;
            case "space" -> valid + " ";
            case "tab" -> "\t" + valid;
            case "dropPart" -> valid.substring(valid.indexOf('.') + 1);
            case "addPart" -> valid + ".1";
            case "emptyPart" -> valid.replaceFirst("\\.", "..");
            default -> "256." + valid.substring(valid.indexOf('.') + 1);
          };
      assertThat(IpLiterals.parseOrNull(mutated)).as(mutated).isNull();
    }
  }

  /** Strings over the literal alphabet: whatever the parser accepts, the JDK reads the same way. */
  @Test
  void acceptsNothingTheJdkRefusesAndNeverThrowsOtherwise() {
    String alphabet = "0123456789abcdefABCDEF:.";
    for (int i = 0; i < 4 * TRIES; i++) {
      String text = randomString(alphabet, 1 + random.nextInt(45));
      InetAddress ours;
      try {
        ours = IpLiterals.parse(text);
      } catch (IllegalArgumentException refused) {
        continue;
      }
      assertThat(ours).as(text).isEqualTo(jdk(text));
    }
  }

  @Test
  void arbitraryStringsOnlyEverGetIllegalArgument() {
    for (int i = 0; i < TRIES; i++) {
      StringBuilder s = new StringBuilder();
      int length = random.nextInt(61);
      for (int j = 0; j < length; j++) {
        s.append((char) (random.nextBoolean() ? random.nextInt(128) : random.nextInt(0x3000)));
      }
      String text = s.toString();
      try {
        IpLiterals.parse(text);
      } catch (IllegalArgumentException expected) {
        // the one allowed failure
      }
      assertThat(IpLiterals.parseHostOrNull(text)).isEqualTo(IpLiterals.parseOrNull(text));
    }
  }

  private String randomString(String alphabet, int length) {
    StringBuilder s = new StringBuilder(length);
    for (int i = 0; i < length; i++) {
      s.append(alphabet.charAt(random.nextInt(alphabet.length())));
    }
    return s.toString();
  }

  /** The JDK's literal parser; a string with ':' is never looked up, and IPv4 ones we compare. */
  private static InetAddress jdk(String text) {
    try {
      if (text.indexOf(':') < 0 && !text.matches("\\d{1,3}(\\.\\d{1,3}){3}")) {
        throw new AssertionError("accepted a non-literal " + text);
      }
      return InetAddress.getByName(text);
    } catch (UnknownHostException e) {
      throw new AssertionError("accepted what the JDK refuses: " + text, e);
    }
  }

  /** RFC 5952 text: lower case, no leading zeros, the longest run of 2+ zero groups as "::". */
  static String compressed(byte[] b) {
    int[] groups = new int[8];
    for (int i = 0; i < 8; i++) {
      groups[i] = (b[2 * i] & 0xff) << 8 | b[2 * i + 1] & 0xff;
    }
    int bestStart = -1;
    int bestLength = 1;
    for (int i = 0; i < 8; ) {
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLength) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j == i ? i + 1 : j;
    }
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        s.append("::");
        i += bestLength - 1;
        continue;
      }
      if (s.length() > 0 && s.charAt(s.length() - 1) != ':') {
        s.append(':');
      }
      s.append(Integer.toHexString(groups[i]));
    }
    return s.toString();
  }
}
