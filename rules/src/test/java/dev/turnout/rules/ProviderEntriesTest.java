package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.rules.Matchers.DomainMode;
import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import dev.turnout.rules.RuleParser.BadRule;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@link ProviderEntries} and the list reader that fills it: a list read through the packed path
 * gives, entry by entry, what parsing each line on its own gives (matcher, text, source), whatever
 * mix of plain, odd and bad lines it has.
 */
class ProviderEntriesTest {
  private static final Rule.Origin ORIGIN = new Rule.Origin("provider p", "p.txt");
  private final RuleParser parser = new RuleParser(Set.of("DIRECT"), Set.of());

  @Test
  void emptyList() {
    ProviderEntries e = new ProviderEntries.Builder(ORIGIN, false, 0).build();
    assertThat(e).isEmpty();
    assertThat(e.others()).isEmpty();
    assertThat(e.packedCount()).isZero();
    assertThatThrownBy(() -> e.get(0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void packedAndKeptEntriesInOrder() {
    ProviderEntries.Builder b = new ProviderEntries.Builder(ORIGIN, true, 1);
    byte[] bytes = "xxa.example.comyy".getBytes(StandardCharsets.US_ASCII);
    Rule kept = Rule.entry(new Matchers.Keyword("ads"), true, ORIGIN, 2, 5);
    b.domain(bytes, 2, 15, DomainMode.SUFFIX, 1, 4);
    b.add(kept);
    b.domain("b.example.org", DomainMode.EXACT, 4, 9);
    b.domain("bücher.de", DomainMode.EXACT, 5, 10); // not ASCII: kept as its Rule
    String longest = "a".repeat(251) + ".com";
    b.domain(longest, DomainMode.EXACT, 6, 11);
    assertThatThrownBy(() -> b.domain(new byte[] {(byte) 0xc3}, 0, 1, DomainMode.EXACT, 7, 12))
        .isInstanceOf(IllegalArgumentException.class);
    ProviderEntries e = b.build();
    assertThat(e).hasSize(5);
    assertThat(e.get(0).text()).isEqualTo("DOMAIN-SUFFIX,a.example.com");
    assertThat(e.get(0).source()).isEqualTo("provider p: entry 1 (p.txt:4)");
    assertThat(e.get(1)).isSameAs(kept);
    assertThat(e.get(2).text()).isEqualTo("DOMAIN,b.example.org");
    assertThat(e.get(2).source()).isEqualTo("provider p: entry 4 (p.txt:9)");
    assertThat(e.get(3).text()).isEqualTo("DOMAIN,bücher.de");
    assertThat(e.get(4).text()).isEqualTo("DOMAIN," + longest);
    assertThat(List.of(e.packed(0), e.packed(1), e.packed(2), e.packed(3), e.packed(4)))
        .containsExactly(true, false, true, false, true);
    assertThat(e.others()).hasSize(2);
    assertThat(new String(e.names(2), e.nameFrom(2), e.nameTo(2) - e.nameFrom(2)))
        .isEqualTo("b.example.org");
    assertThat(e.mode(0)).isEqualTo(DomainMode.SUFFIX);
    assertThatThrownBy(() -> e.get(5)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  /**
   * Names of up to 255 characters filling several chunks, from a builder told to expect one entry
   * (its first chunk small), with entries kept as Rules between them: each name whole, in order.
   */
  @Test
  void namesAcrossChunks() {
    Random rnd = new Random(15);
    ProviderEntries.Builder b = new ProviderEntries.Builder(ORIGIN, false, 1);
    List<String> expected = new ArrayList<>();
    long bytes = 0;
    while (bytes < 5L * ProviderEntries.CHUNK) {
      String name = "a".repeat(rnd.nextInt(250)) + "." + (char) ('a' + rnd.nextInt(26)) + ".com";
      name = name.startsWith(".") ? name.substring(1) : name;
      int number = expected.size() + 1;
      if (rnd.nextInt(10) == 0) {
        Rule r = Rule.entry(new Matchers.Keyword("k" + number), false, ORIGIN, number, number);
        b.add(r);
        expected.add(r.text());
      } else if (rnd.nextBoolean()) {
        b.domain(name, DomainMode.SUFFIX, number, number);
        expected.add("+." + name);
      } else {
        byte[] in = (" " + name + " ").getBytes(StandardCharsets.US_ASCII);
        b.domain(in, 1, in.length - 1, DomainMode.EXACT, number, number);
        expected.add(name);
      }
      bytes += name.length();
    }
    ProviderEntries e = b.build();
    assertThat(e).hasSize(expected.size());
    for (int i = 0; i < e.size(); i++) {
      assertThat(e.get(i).text()).as("entry %d", i).isEqualTo(expected.get(i));
      assertThat(e.get(i).source())
          .isEqualTo("provider p: entry " + (i + 1) + " (p.txt:" + (i + 1) + ")");
      if (e.packed(i)) {
        String name = new String(e.names(i), e.nameFrom(i), e.nameTo(i) - e.nameFrom(i));
        assertThat(expected.get(i)).endsWith(name);
      }
    }
  }

  /**
   * Random lists of plain, odd and bad entries, as text and as YAML, in domain and classical lists:
   * each entry as the parser reads its line on its own.
   */
  @Test
  void listsReadAsTheParserReadsEachLine() throws BadRule {
    Random rnd = new Random(14);
    int packed = 0;
    for (int round = 0; round < 60; round++) {
      boolean classical = rnd.nextBoolean();
      boolean yaml = rnd.nextBoolean();
      List<String> lines = new ArrayList<>();
      for (int i = rnd.nextInt(round == 0 ? 1 : 300); i >= 0; i--) {
        lines.add(line(rnd, classical, yaml));
      }
      StringBuilder list = new StringBuilder(yaml ? "payload:\n" : "# a list\n");
      for (String l : lines) {
        list.append(yaml ? "  - '" + l + "'\n" : l + "\n");
      }
      byte[] content = list.toString().getBytes(StandardCharsets.UTF_8);
      ProviderSpec spec = spec(classical ? Behavior.CLASSICAL : Behavior.DOMAIN);
      List<Rule> actual = ProviderList.parse(spec, content, "p.txt", parser).entries();

      List<Rule> expected = new ArrayList<>();
      Rule.Origin origin = new Rule.Origin("provider p", "p.txt");
      int count = 0;
      for (int i = 0; i < lines.size(); i++) {
        String t = lines.get(i).strip();
        if (!yaml && (t.isEmpty() || t.startsWith("#") || t.startsWith("//"))) {
          continue; // in YAML, '' is an (empty, bad) entry
        }
        count++;
        try {
          Matcher m = classical ? parser.parseEntry(t) : RuleParser.parseDomainEntry(t);
          expected.add(new Rule(m, t, classical, origin, count, i + 2));
        } catch (BadRule e) {
          // skipped, and counted
        }
      }
      String context = "round " + round + ", list:\n" + list;
      assertThat(actual).as(context).hasSameSizeAs(expected);
      for (int i = 0; i < expected.size(); i++) {
        Rule a = actual.get(i);
        Rule x = expected.get(i);
        assertThat(a.text()).as(context).isEqualTo(x.text());
        assertThat(a.source()).as(context).isEqualTo(x.source());
        assertThat(String.valueOf(a.matcher())).as(context).isEqualTo(x.matcher().toString());
        if (((ProviderEntries) actual).packed(i)) {
          packed++;
        }
      }
    }
    assertThat(packed).as("entries that took the packed path").isGreaterThan(1000);
  }

  /** A line of a list: mostly plain domains, and the ways a line can differ from one. */
  private static String line(Random rnd, boolean classical, boolean yaml) {
    String domain = domain(rnd);
    String[] prefixes =
        classical ? new String[] {"DOMAIN,", "DOMAIN-SUFFIX,"} : new String[] {"", "+.", ".", "*."};
    String prefix = prefixes[rnd.nextInt(prefixes.length)];
    return switch (rnd.nextInt(24)) {
      case 0 -> prefix + domain.toUpperCase();
      case 1 -> prefix + domain + ".";
      case 2 -> prefix + "." + domain;
      case 3 -> prefix + " " + domain;
      case 4 -> "  " + prefix + domain + "\t";
      case 5 -> prefix + "a.*." + domain;
      case 6 -> prefix + "bücher." + domain;
      case 7 -> prefix + "a".repeat(255 - domain.length() - 1) + "." + domain;
      case 8 -> prefix + "a".repeat(256 - domain.length() - 1) + "." + domain;
      case 9 -> prefix;
      case 10 -> classical ? "DOMAIN-KEYWORD," + domain : "+." + domain + "..x";
      case 11 -> classical ? "IP-CIDR,203.0.113.0/24,no-resolve" : "203.0.113.0/24";
      case 12 -> yaml ? prefix + domain + "  " : "# " + prefix + domain;
      case 13 -> yaml ? " " + prefix + domain : "";
      case 14 -> prefix + "a..b." + domain;
      case 15 -> classical ? "domain-suffix," + domain : "+" + domain;
      default -> prefix + domain;
    };
  }

  private static String domain(Random rnd) {
    String chars = "abcdefghijklmnopqrstuvwxyz0123456789-_";
    StringBuilder sb = new StringBuilder();
    for (int labels = 1 + rnd.nextInt(3); labels > 0; labels--) {
      for (int i = 1 + rnd.nextInt(8); i > 0; i--) {
        sb.append(chars.charAt(rnd.nextInt(chars.length())));
      }
      sb.append('.');
    }
    return sb.append("com").toString();
  }

  private static ProviderSpec spec(Behavior behavior) {
    return new ProviderSpec(
        "p", Type.FILE, behavior, Format.AUTO, Path.of("p.txt"), null, Duration.ZERO, "c.yaml", 1);
  }
}
