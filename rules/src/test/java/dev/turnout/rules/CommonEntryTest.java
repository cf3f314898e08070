package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.RuleParser.BadRule;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Classical provider entries read through the shortcut for common ones read as the general rule
 * reader reads them: the same matcher, or the same error. Random entries are built from the parts
 * public lists use and the ways of writing them that the shortcut must leave alone.
 */
class CommonEntryTest {
  private static final String[] TYPES = {
    "DOMAIN",
    "DOMAIN-SUFFIX",
    "DOMAIN-KEYWORD",
    "IP-CIDR",
    "IP-CIDR6",
    "domain-suffix",
    "Domain",
    "DOMAIN-REGEX",
    "GEOIP",
    "DOMAIN-SUFFIX ",
    " DOMAIN",
    "DOMAINX",
    "IP-CIDR6 ",
    "SRC-IP-CIDR",
    ""
  };
  private static final String[] PAYLOADS = {
    "example.com",
    ".example.com",
    "..a.org",
    "Example.COM",
    "example.com.",
    "a b.com",
    "",
    " example.com",
    "example.com ",
    "\u2003x.com",
    "x.com\u2003",
    "b\u00fccher.de",
    "xn--a.com",
    "ads",
    "AdS",
    "198.51.100.0/24",
    "198.51.100.7/24",
    "2001:db8::/32",
    "2001:DB8::/33",
    "203.0.113.0/33",
    "not-an-ip",
    "a_b.com",
    "-",
    ".",
    "a..b"
  };
  private static final String[] OPTIONS = {
    "",
    "",
    "",
    ",no-resolve",
    ",NO-RESOLVE",
    ", no-resolve",
    ",no-resolve ",
    ",src",
    ",",
    ",x",
    ",no-resolve,src"
  };

  @Test
  void shortcutReadsAsTheGeneralReader() {
    RuleParser parser = new RuleParser(Set.of("DIRECT"), Set.of());
    Random rnd = new Random(5);
    for (int i = 0; i < 50_000; i++) {
      String text =
          TYPES[rnd.nextInt(TYPES.length)]
              + (rnd.nextInt(20) == 0 ? "" : ",")
              + PAYLOADS[rnd.nextInt(PAYLOADS.length)]
              + OPTIONS[rnd.nextInt(OPTIONS.length)];
      assertThat(read(() -> parser.parseEntry(text)))
          .as(text)
          .isEqualTo(read(() -> parser.parseAnyEntry(text)));
    }
  }

  private interface Read {
    Matcher get() throws BadRule;
  }

  /** The matcher as text (an IP prefix has no equals), or the error's message. */
  private static String read(Read r) {
    try {
      Matcher m = r.get();
      if (m instanceof Matchers.Cidr c) {
        Ip ip = c.prefix().ip();
        return String.format(
            "Cidr %x %x v6=%s /%d src=%s noResolve=%s",
            ip.hi, ip.lo, ip.v6, c.prefix().length(), c.source(), c.noResolve());
      }
      return m.toString();
    } catch (BadRule e) {
      return "BadRule: " + e.getMessage();
    }
  }
}
