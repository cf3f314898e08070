package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import dev.turnout.testing.Fuzz;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Rule-provider lines, fuzzed (issue 14): mutations of real entries of each behavior never throw
 * anything but the parser's refusal, and a provider file of damaged lines always builds an engine
 * whose bad entries are warnings and whose good ones still decide.
 */
class ProviderLineFuzzTest {
  private static final long SEED = 0x9e1eL;
  private static final List<String> CLASSICAL =
      List.of(
          "DOMAIN,www.example.com",
          "DOMAIN-SUFFIX,example.org",
          "DOMAIN-KEYWORD,tracker",
          "DOMAIN-WILDCARD,*.cdn.example",
          "DOMAIN-REGEX,^ads[0-9]+\\.example\\.net$",
          "IP-CIDR,203.0.113.0/24,no-resolve",
          "IP-CIDR6,2001:db8::/32",
          "IP-SUFFIX,0.0.0.1/8",
          "SRC-IP-CIDR,198.51.100.0/24",
          "DST-PORT,80/443",
          "SRC-PORT,1024-65535",
          "NETWORK,udp",
          "PROCESS-NAME,curl",
          "AND,((DOMAIN-SUFFIX,example.com),(NOT,((DST-PORT,25))))",
          "OR,((NETWORK,udp),(DOMAIN,a.example))");
  private static final List<String> DOMAINS =
      List.of("example.com", "+.example.org", ".sub.example", "*.one.example", "a*b.example");
  private static final List<String> CIDRS =
      List.of("203.0.113.0/24", "198.51.100.7", "2001:db8::/48", "0.0.0.0/0");

  @TempDir Path dir;

  @Test
  void damagedEntriesAreRefusedNeverThrown() {
    SplittableRandom random = Fuzz.random(SEED);
    RuleParser parser = new RuleParser(Fixtures.POLICIES, Set.of());
    int cases = Fuzz.iterations(50_000);
    int accepted = 0;
    for (int i = 0; i < cases; i++) {
      int kind = random.nextInt(3);
      List<String> valid = kind == 0 ? CLASSICAL : kind == 1 ? DOMAINS : CIDRS;
      String line = damaged(valid.get(random.nextInt(valid.size())), random);
      try {
        Matcher m =
            switch (kind) {
              case 0 -> parser.parseEntry(line);
              case 1 -> RuleParser.parseDomainEntry(line);
              default -> RuleParser.parseCidrEntry(line);
            };
        assertThat(m).isNotNull();
        accepted++;
      } catch (RuleParser.BadRule refused) {
        // a warning for this entry; the rest of the list applies
      } catch (RuntimeException | StackOverflowError e) {
        throw new AssertionError(Fuzz.where(SEED, i) + ": " + line, e);
      }
    }
    assertThat(accepted).as("some mutations are still entries").isPositive();
  }

  @Test
  void aFileOfDamagedLinesStillBuildsAndItsGoodEntriesDecide() throws Exception {
    SplittableRandom random = Fuzz.random(SEED + 1);
    int files = Fuzz.iterations(100);
    for (int i = 0; i < files; i++) {
      List<String> lines = new ArrayList<>(List.of("DOMAIN,anchor.example"));
      for (int j = 0; j < 30; j++) {
        lines.add(damaged(CLASSICAL.get(random.nextInt(CLASSICAL.size())), random));
      }
      Path file = dir.resolve("p.txt");
      Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
      ProviderSpec spec =
          new ProviderSpec(
              "p", Type.FILE, Behavior.CLASSICAL, Format.TEXT, file, null, null, "c.yaml", 1);
      try {
        RuleEngine e =
            RuleEngine.builder()
                .rules(Fixtures.lines("RULE-SET,p,P1", "MATCH,P2"))
                .providers(List.of(spec))
                .policies(Fixtures.POLICIES)
                .build();
        assertThat(e.decide(host("anchor.example")).policy()).isEqualTo("P1");
        assertThat(e.decide(tcp("203.0.113.9", 443)).policy()).isIn("P1", "P2");
      } catch (RuntimeException | StackOverflowError | RuleException e) {
        throw new AssertionError(Fuzz.where(SEED + 1, i) + ": " + lines, e);
      }
    }
  }

  private static String damaged(String valid, SplittableRandom random) {
    byte[] bytes = Fuzz.mutate(valid.getBytes(StandardCharsets.UTF_8), random);
    return new String(bytes, StandardCharsets.UTF_8).replace('\n', ' ').replace('\r', ' ');
  }
}
