package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.RuleParser.BadRule;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A provider entry reports the text it is written as, whether it keeps that text or writes it again
 * from its matcher, in domain lists and classical ones; and its source names list, entry and line.
 */
class EntryTextTest {
  private static final String[] DOMAIN_PREFIXES = {"", "+.", ".", "*.", "+. ", " "};
  private static final String[] CLASSICAL_PREFIXES = {
    "DOMAIN,",
    "DOMAIN-SUFFIX,",
    "DOMAIN-KEYWORD,",
    "domain,",
    "DOMAIN-SUFFIX,.",
    "DOMAIN, ",
    "DOMAIN-REGEX,",
    "IP-CIDR,"
  };
  private static final String[] NAMES = {
    "example.com",
    "Example.com",
    "example.com.",
    "a.b.c.example.org",
    "ads",
    "x-y_z.io",
    "a*.b",
    "198.51.100.0/24"
  };

  @Test
  void entriesReportTheirTextAsWritten() {
    RuleParser parser = new RuleParser(Set.of("DIRECT"), Set.of());
    Rule.Origin origin = new Rule.Origin("provider p", "/etc/p.list");
    Random rnd = new Random(9);
    int kept = 0;
    for (int i = 0; i < 20_000; i++) {
      boolean classical = rnd.nextBoolean();
      String[] prefixes = classical ? CLASSICAL_PREFIXES : DOMAIN_PREFIXES;
      String text =
          (prefixes[rnd.nextInt(prefixes.length)] + NAMES[rnd.nextInt(NAMES.length)]).strip();
      Matcher m;
      try {
        m = classical ? parser.parseEntry(text) : RuleParser.parseDomainEntry(text);
      } catch (BadRule e) {
        continue;
      }
      kept++;
      Rule r = new Rule(m, text, classical, origin, i + 1, i + 3);
      assertThat(r.text()).isEqualTo(text);
      assertThat(r.line()).isEqualTo(text);
      assertThat(r.policy()).isNull();
      assertThat(r.source())
          .isEqualTo("provider p: entry " + (i + 1) + " (/etc/p.list:" + (i + 3) + ")");
    }
    assertThat(kept).isGreaterThan(5_000);
  }
}
