package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.rules.Addresses.Prefix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Addresses#parsePrefix}'s shortcut for IPv4 CIDRs gives what netbase's general reader
 * gives, for well-written CIDRs and for the near misses around them.
 */
class PrefixParseTest {
  @Test
  void agreesWithTheGeneralReader() {
    Random rnd = new Random(24);
    String[] lengths = {"0", "1", "8", "24", "31", "32", "33", "99", "024", "08", "", "x", "-1"};
    for (int i = 0; i < 20_000; i++) {
      StringBuilder s = new StringBuilder();
      for (int k = 0; k < 4; k++) {
        s.append(k > 0 ? "." : "").append(octet(rnd));
      }
      if (rnd.nextInt(20) == 0) {
        s.append(".1"); // five parts
      }
      if (rnd.nextInt(10) > 0) {
        s.append('/').append(lengths[rnd.nextInt(lengths.length)]);
      }
      String text = s.toString();
      assertThat(describe(() -> Addresses.parsePrefix(text)))
          .as(text)
          .isEqualTo(describe(() -> reference(text)));
    }
  }

  /** What parsePrefix did before the shortcut. */
  private static Prefix reference(String s) {
    int slash = s.indexOf('/');
    if (IpLiterals.parseOrNull(slash < 0 ? s : s.substring(0, slash)) == null) {
      throw new IllegalArgumentException("not an IP address or CIDR");
    }
    Cidr cidr = slash < 0 ? Cidr.host(IpLiterals.parse(s)) : Cidr.parseMasking(s);
    return new Prefix(Ip.of(cidr.network()), cidr.prefixLength());
  }

  private static String describe(java.util.function.Supplier<Prefix> parse) {
    try {
      Prefix p = parse.get();
      return p.ip().v6
          + " "
          + p.ip().hi
          + " "
          + p.ip().lo
          + " "
          + p.ip().address
          + "/"
          + p.length();
    } catch (IllegalArgumentException e) {
      return "refused: " + e.getMessage();
    }
  }

  private static String octet(Random rnd) {
    return switch (rnd.nextInt(12)) {
      case 0 -> "0";
      case 1 -> "255";
      case 2 -> "256";
      case 3 -> "01";
      case 4 -> "";
      default -> Integer.toString(rnd.nextInt(256));
    };
  }
}
