package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import dev.turnout.config.YamlSequence;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link ListLines} reads lists as the simple readers it replaces did: text as split on line ends
 * and stripped, YAML as the YAML parser reads it whenever it claims the shape, and it claims the
 * shape the public lists have. Random documents are built from fragments that are, or are nearly,
 * that shape.
 */
class ListLinesTest {
  private static final String[] FRAGMENTS = {
    "payload:",
    "payload: # lists",
    "payload: []",
    "payload:x",
    "other: 1",
    "---",
    "# comment",
    "  # indented comment \u00e9",
    "",
    "   ",
    "\t",
    "  - 'a.com'",
    "  - \"b.com\"",
    "  - c.com",
    "- d.com",
    "    - e.com",
    "  - '+.f.com'",
    "  - 'it''s'",
    "  - 'g.com' # c",
    "  - 'g.com'# c",
    "  - h.com # c",
    "  - h.com#c",
    "  - DOMAIN-SUFFIX,i.com",
    "  - IP-CIDR,198.51.100.0/24,no-resolve",
    "  - a: b",
    "  - a:b",
    "  - 'unterminated",
    "  - \"a\\tb\"",
    "  -",
    "  - ",
    "  -x",
    "\t- x.com",
    "  - \u00e9.com",
    "  - a\u2028b",
    "  - a\u0085b",
    "  - [a, b]",
    "  - &x a",
    "  - *x",
    "  - ~",
    "  - null",
    "  - 'a'b",
    "  - ''",
    "  - '  '",
    "  - a\u00a0",
    "  - \u3000a",
    "  - a\u0001",
    "  - a\u007f",
    "  - ? a",
    "  - !tag a",
    "  - |",
    "    continued",
    "  - x   ",
    "  - 'x'   ",
    "  - \"\"",
    "  - -x",
    "  - 1.5",
    "  - \ud83d\ude00.com",
    "// slash comment",
    "#",
  };

  private static final String[] ENDS = {"\n", "\n", "\n", "\r\n", "\r"};

  @Test
  void textIsSplitOnLineEndsAndStripped() {
    Random rnd = new Random(1);
    for (int round = 0; round < 20_000; round++) {
      String doc = document(rnd);
      byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
      List<String> got = new ArrayList<>();
      ListLines.text(bytes, (t, line) -> got.add(line + " " + t));
      assertThat(got).as("%s", doc).isEqualTo(referenceText(bytes));
    }
  }

  @Test
  void simpleYamlReadsAsTheYamlParserWhenItClaimsTheShape() {
    Random rnd = new Random(2);
    int claimed = 0;
    for (int round = 0; round < 20_000; round++) {
      String doc = document(rnd);
      byte[] bytes = doc.getBytes(StandardCharsets.UTF_8);
      List<String> got = new ArrayList<>();
      boolean simple = ListLines.simpleYaml(bytes, (t, line) -> got.add(line + " " + t));
      if (simple) {
        claimed++;
        assertThat(got).as("%s", doc).isEqualTo(referenceYaml(bytes).orElseThrow());
      } else {
        assertThat(got).as("nothing passed on when not claimed").isEmpty();
      }
    }
    assertThat(claimed).as("documents read as simple").isGreaterThan(500);
  }

  /** A provider list is read as YAML exactly when the YAML parser finds a payload: in it. */
  @Test
  void listsReadAsTheYamlParserOrTheLineSplitterReadThem() {
    ProviderSpec spec =
        new ProviderSpec(
            "p",
            ProviderSpec.Type.FILE,
            ProviderSpec.Behavior.DOMAIN,
            ProviderSpec.Format.AUTO,
            Path.of("f"),
            null,
            null,
            "config.yaml",
            1);
    Random rnd = new Random(3);
    for (int round = 0; round < 5_000; round++) {
      byte[] bytes = document(rnd).getBytes(StandardCharsets.UTF_8);
      List<String> want = new ArrayList<>();
      for (String entry : referenceYaml(bytes).orElseGet(() -> referenceText(bytes))) {
        String text = entry.substring(entry.indexOf(' ') + 1);
        try {
          RuleParser.parseDomainEntry(text);
          want.add(entry);
        } catch (RuleParser.BadRule e) {
          // skipped by the reader too
        }
      }
      List<String> got = new ArrayList<>();
      for (Rule r : ProviderList.parse(spec, bytes, "f", null).entries()) {
        String line = r.source().replaceAll(".*\\(f:?(\\d*)\\)$", "$1");
        got.add((line.isEmpty() ? "0" : line) + " " + r.text());
      }
      assertThat(got).as("%s", new String(bytes, StandardCharsets.UTF_8)).isEqualTo(want);
    }
  }

  @Test
  void publicListShapesAreSimple() {
    String loyalsoldier = "payload:\n  - '+.a.com'\n  - 'b.net'\n";
    String classical = "# NAME: x\npayload:\n  - DOMAIN-SUFFIX,a.com\n  - IP-CIDR,1.2.3.0/24\n";
    String crlf = "\uFEFFpayload:\r\n- \"a.com\"\r\n- b.com # comment\r\n";
    for (String doc : List.of(loyalsoldier, classical, crlf)) {
      assertThat(ListLines.simpleYaml(doc.getBytes(StandardCharsets.UTF_8), (t, l) -> {}))
          .as(doc)
          .isTrue();
    }
  }

  private static String document(Random rnd) {
    StringBuilder s = new StringBuilder(rnd.nextInt(10) == 0 ? "\uFEFF" : "");
    int lines = 1 + rnd.nextInt(8);
    for (int i = 0; i < lines; i++) {
      String f;
      if (i == 0 && rnd.nextInt(10) < 7) {
        f = "payload:";
      } else if (rnd.nextBoolean()) { // mostly well-formed entries
        f = FRAGMENTS[11 + rnd.nextInt(13)];
      } else {
        f = FRAGMENTS[rnd.nextInt(FRAGMENTS.length)];
      }
      s.append(f);
      if (i + 1 < lines || rnd.nextBoolean()) {
        s.append(ENDS[rnd.nextInt(rnd.nextInt(20) == 0 ? ENDS.length : 4)]);
      }
    }
    return s.toString();
  }

  /** What the text reader was: the decoded list split on line ends, stripped. */
  private static List<String> referenceText(byte[] content) {
    String s = new String(content, StandardCharsets.UTF_8);
    if (s.startsWith("\uFEFF")) {
      s = s.substring(1);
    }
    List<String> out = new ArrayList<>();
    String[] lines = s.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String t = lines[i].strip();
      if (!t.isEmpty() && !t.startsWith("#") && !t.startsWith("//")) {
        out.add((i + 1) + " " + t);
      }
    }
    return out;
  }

  /** The entries the YAML parser reads, if the list is a mapping with a payload: of strings. */
  private static Optional<List<String>> referenceYaml(byte[] content) {
    Problems problems = new Problems("f");
    Optional<YamlNode> root =
        YamlFile.parse("f", new String(content, StandardCharsets.UTF_8), problems);
    if (root.isEmpty() || !(root.get() instanceof YamlMapping map) || !map.has("payload")) {
      return Optional.empty();
    }
    List<String> out = new ArrayList<>();
    if (map.get("payload").orElseThrow() instanceof YamlSequence seq) {
      for (YamlNode n : seq.items()) {
        out.add(
            n.line() + " " + (n instanceof YamlScalar sc ? sc.text().strip() : "(not a string)"));
      }
    }
    return Optional.of(out);
  }
}
