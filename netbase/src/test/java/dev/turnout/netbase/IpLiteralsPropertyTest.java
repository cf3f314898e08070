package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.constraints.StringLength;

/**
 * Checks {@link IpLiterals} against the JDK's own formatting and parsing: every address the JDK
 * writes parses back to the same address, in full and compressed forms, and no string makes the
 * parser throw anything but {@link IllegalArgumentException} or accept what the JDK refuses.
 */
class IpLiteralsPropertyTest {

  @Property
  void everyIpv4AddressTheJdkWritesParsesBack(@ForAll @Size(4) byte[] bytes) throws Exception {
    InetAddress expected = InetAddress.getByAddress(bytes);
    assertThat(IpLiterals.parse(expected.getHostAddress())).isEqualTo(expected);
  }

  @Property
  void everyIpv6AddressTheJdkWritesParsesBack(@ForAll @Size(16) byte[] bytes) throws Exception {
    InetAddress expected = InetAddress.getByAddress(bytes);
    assertThat(IpLiterals.parse(expected.getHostAddress())).isEqualTo(expected);
    assertThat(IpLiterals.parse(compressed(bytes))).isEqualTo(expected);
    assertThat(IpLiterals.parse(compressed(bytes).toUpperCase())).isEqualTo(expected);
  }

  @Property
  void sparseIpv6AddressesParseInTheirShortestForm(
      @ForAll @Size(16) byte[] bytes,
      @ForAll @IntRange(min = 0, max = 15) int from,
      @ForAll @IntRange(min = 0, max = 16) int length)
      throws Exception {
    for (int i = from; i < Math.min(16, from + length); i++) {
      bytes[i] = 0; // runs of zero groups, so that "::" appears in many places
    }
    InetAddress expected = InetAddress.getByAddress(bytes);
    assertThat(IpLiterals.parse(compressed(bytes))).isEqualTo(expected);
  }

  @Property
  void anIpv4TailParsesLikeTheJdk(@ForAll @Size(16) byte[] bytes) throws Exception {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < 12; i += 2) {
      text.append(Integer.toHexString((bytes[i] & 0xff) << 8 | bytes[i + 1] & 0xff)).append(':');
    }
    text.append(
        InetAddress.getByAddress(java.util.Arrays.copyOfRange(bytes, 12, 16)).getHostAddress());
    assertThat(IpLiterals.parse(text.toString()))
        .isEqualTo(InetAddress.getByAddress(bytes))
        .isEqualTo(InetAddress.getByName(text.toString()));
  }

  @Property
  void aMutatedDottedQuadIsRejected(
      @ForAll @Size(4) byte[] bytes, @ForAll("mutations") String mutation) throws Exception {
    String valid = InetAddress.getByAddress(bytes).getHostAddress();
    String mutated =
        switch (mutation) {
          case "lead0" -> "0" + valid;
          case "plus" -> "+" + valid;
          case "space" -> valid + " ";
          case "tab" -> "\t" + valid;
          case "dropPart" -> valid.substring(valid.indexOf('.') + 1);
          case "addPart" -> valid + ".1";
          case "emptyPart" -> valid.replaceFirst("\\.", "..");
          case "bigPart" -> "256." + valid.substring(valid.indexOf('.') + 1);
          default -> throw new AssertionError(mutation);
        };
    assertThat(IpLiterals.parseOrNull(mutated)).isNull();
  }

  @Provide
  Arbitrary<String> mutations() {
    return Arbitraries.of(
        "lead0", "plus", "space", "tab", "dropPart", "addPart", "emptyPart", "bigPart");
  }

  /** Strings over the literal alphabet: whatever the parser accepts, the JDK reads the same way. */
  @Property(tries = 5000)
  void acceptsNothingTheJdkRefusesAndNeverThrowsOtherwise(@ForAll("literalish") String text) {
    InetAddress ours;
    try {
      ours = IpLiterals.parse(text);
    } catch (IllegalArgumentException refused) {
      return;
    }
    assertThat(ours).isEqualTo(jdk(text));
  }

  @Property(tries = 3000)
  void arbitraryStringsOnlyEverGetIllegalArgument(@ForAll @StringLength(max = 60) String text) {
    try {
      IpLiterals.parse(text);
    } catch (IllegalArgumentException expected) {
      // the one allowed failure
    }
    assertThat(IpLiterals.parseHostOrNull(text)).isEqualTo(IpLiterals.parseOrNull(text));
  }

  @Provide
  Arbitrary<String> literalish() {
    return Arbitraries.strings()
        .withChars("0123456789abcdefABCDEF:.")
        .ofMinLength(1)
        .ofMaxLength(45);
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
