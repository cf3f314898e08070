package dev.turnout.rules;

import static dev.turnout.rules.Fixtures.host;
import static dev.turnout.rules.Fixtures.tcp;
import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.rules.ProviderSpec.Behavior;
import dev.turnout.rules.ProviderSpec.Format;
import dev.turnout.rules.ProviderSpec.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14, item 3: provider content that used to freeze updates or crash the engine — a domain
 * longer than a name can be (refused when the index was compiled, after the download had been
 * saved), logic rules nested thousands deep (a stack overflow), an address entry the JDK would have
 * looked up as a name — is now skipped with a warning and the rest of the list applies.
 */
class HostileProviderTest {
  @TempDir Path dir;

  private ProviderSpec file(String name, Behavior b, String content) throws Exception {
    Path p = dir.resolve(name);
    Files.writeString(p, content, StandardCharsets.UTF_8);
    return new ProviderSpec(name, Type.FILE, b, Format.TEXT, p, null, null, "config.yaml", 7);
  }

  private RuleEngine engine(ProviderSpec spec, String... rules) throws RuleException {
    return RuleEngine.builder()
        .rules(Fixtures.lines(rules))
        .providers(List.of(spec))
        .policies(Fixtures.POLICIES)
        .build();
  }

  @Test
  void aDomainLongerThanANameCanBeIsRefusedAtParseNotAtCompile() throws Exception {
    String longName =
        "a".repeat(63)
            + "."
            + "b".repeat(63)
            + "."
            + "c".repeat(63)
            + "."
            + "d".repeat(63)
            + ".example";
    ProviderSpec spec = file("long.txt", Behavior.DOMAIN, "ok.example\n" + longName + "\n");
    RuleEngine e = engine(spec, "RULE-SET,long.txt,P1", "MATCH,P2");
    assertThat(e.decide(host("ok.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host(longName.substring(64))).policy()).isEqualTo("P2");
    assertThat(e.warnings()).anyMatch(w -> w.message().contains("at most 255 characters"));

    Files.writeString(dir.resolve("long.txt"), longName + "\nnew.example\n");
    assertThat(e.refresh("long.txt")).as("the new list applies").isTrue();
    assertThat(e.decide(host("new.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("ok.example")).policy()).isEqualTo("P2");
  }

  @Test
  void deeplyNestedLogicRulesAreRefusedWithoutOverflowingTheStack() throws Exception {
    StringBuilder rule = new StringBuilder();
    int depth = 3_000;
    for (int i = 0; i < depth; i++) {
      rule.append("AND,((");
    }
    rule.append("DOMAIN,x.example");
    for (int i = 0; i < depth; i++) {
      rule.append("))");
    }
    ProviderSpec spec = file("deep.txt", Behavior.CLASSICAL, "DOMAIN,ok.example\n" + rule + "\n");
    RuleEngine e = engine(spec, "RULE-SET,deep.txt,P1", "MATCH,P2");
    assertThat(e.decide(host("ok.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("x.example")).policy()).isEqualTo("P2");
    assertThat(e.warnings()).anyMatch(w -> w.message().contains("nest at most"));
  }

  @Test
  void logicRulesNestedAFewLevelsStillWork() throws Exception {
    ProviderSpec spec =
        file(
            "nested.txt",
            Behavior.CLASSICAL,
            "AND,((OR,((DOMAIN,a.example),(AND,((DOMAIN-SUFFIX,b.example),(NOT,((DST-PORT,25))))))))"
                + "\n");
    RuleEngine e = engine(spec, "RULE-SET,nested.txt,P1", "MATCH,P2");
    assertThat(e.decide(host("a.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(host("x.b.example")).policy()).isEqualTo("P1");
    assertThat(e.decide(tcp("x.b.example", 25)).policy()).isEqualTo("P2");
    assertThat(e.warnings()).isEmpty();
  }

  @Test
  void anAddressEntryIsNeverLookedUpByName() throws Exception {
    ProviderSpec spec =
        file("cidr.txt", Behavior.IPCIDR, "203.0.113.0/24\n.:/104\nexample.invalid/8\n");
    long start = System.nanoTime();
    RuleEngine e = engine(spec, "RULE-SET,cidr.txt,P1", "MATCH,P2");
    assertThat(e.decide(tcp("203.0.113.9", 80)).policy()).isEqualTo("P1");
    assertThat(e.warnings())
        .as("skipped, each said")
        .anyMatch(w -> w.message().contains("'.:/104'"))
        .anyMatch(w -> w.message().contains("2 of 3 entries skipped"));
    assertThat(System.nanoTime() - start).isLessThan(2_000_000_000L);
  }
}
