package dev.turnout.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing: YAML 1.2 scalars as Clash reads them, lines and paths, duplicates, aliases, limits. */
class YamlFileTest {
  private final Problems problems = new Problems("c.yaml");

  private YamlMapping parse(String... lines) {
    return (YamlMapping) YamlFile.parse("c.yaml", String.join("\n", lines) + "\n", problems).get();
  }

  private static YamlScalar scalar(YamlMapping m, String key) {
    return (YamlScalar) m.get(key).get();
  }

  @Test
  void yaml11BooleanWordsStayStringsAsInYaml12() {
    YamlMapping m = parse("name: NO", "password: off", "a: y", "b: Yes", "c: true", "d: ON");
    assertThat(scalar(m, "name").text()).isEqualTo("NO");
    assertThat(scalar(m, "name").kind()).isEqualTo(YamlScalar.Kind.STRING);
    assertThat(scalar(m, "password").text()).isEqualTo("off");
    assertThat(scalar(m, "password").describe()).isEqualTo("\"off\"");
    assertThat(scalar(m, "c").kind()).isEqualTo(YamlScalar.Kind.BOOL);
    // ... but a field that wants a boolean takes them, as yaml.v3 does for a bool target
    assertThat(scalar(m, "password").asBoolean()).contains(false);
    assertThat(scalar(m, "a").asBoolean()).contains(true);
    assertThat(scalar(m, "b").asBoolean()).contains(true);
    assertThat(scalar(m, "d").asBoolean()).contains(true);
    assertThat(scalar(m, "name").asBoolean()).contains(false);
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void nullsTimestampsAndNumbersAsYamlV3ReadsThem() {
    YamlMapping m =
        parse(
            "tilde: ~",
            "empty:",
            "date: 2001-12-14",
            "octal11: 0755",
            "octal12: 0o755",
            "hex: 0x1F",
            "under: 1_000",
            "quoted: '8080'",
            "notoctal: 08",
            "float: 1.5",
            "big: 99999999999999999999");
    assertThat(scalar(m, "tilde").isNull()).isTrue();
    assertThat(scalar(m, "empty").isNull()).isTrue();
    assertThat(scalar(m, "date").text()).isEqualTo("2001-12-14"); // no timestamps in YAML 1.2
    assertThat(scalar(m, "octal11").text()).isEqualTo("0755"); // as a string: what was written
    assertThat(scalar(m, "octal11").asLong()).hasValue(493); // as a number: YAML 1.1 octal
    assertThat(scalar(m, "octal12").asLong()).hasValue(493);
    assertThat(scalar(m, "hex").asLong()).hasValue(31);
    assertThat(scalar(m, "under").asLong()).hasValue(1000);
    assertThat(scalar(m, "quoted").asLong()).hasValue(8080);
    assertThat(scalar(m, "notoctal").asLong()).isEmpty();
    assertThat(scalar(m, "float").asLong()).isEmpty();
    assertThat(scalar(m, "float").describe()).isEqualTo("1.5");
    assertThat(scalar(m, "big").asLong()).isEmpty();
  }

  @Test
  void everyKeyAndValueKnowsItsLineAndPath() {
    YamlMapping m =
        parse(
            "dns:",
            "  nameserver:",
            "    - 192.0.2.1",
            "    - 192.0.2.2",
            "proxies:",
            "  - {name: a, type: ss}",
            "  - name: b",
            "    cipher: aes-128-gcm");
    YamlMapping dns = (YamlMapping) m.get("dns").get();
    YamlSequence servers = (YamlSequence) dns.get("nameserver").get();
    assertThat(servers.items().get(1).line()).isEqualTo(4);
    assertThat(servers.items().get(1).path()).isEqualTo("dns.nameserver[1]");
    assertThat(dns.entry("nameserver").get().key().line()).isEqualTo(2);
    YamlSequence proxies = (YamlSequence) m.get("proxies").get();
    YamlMapping b = (YamlMapping) proxies.items().get(1);
    assertThat(b.line()).isEqualTo(7);
    assertThat(b.get("cipher").get().line()).isEqualTo(8);
    assertThat(b.get("cipher").get().path()).isEqualTo("proxies[1].cipher");
    assertThat(((YamlMapping) proxies.items().get(0)).get("type").get().line()).isEqualTo(6);
  }

  @Test
  void aDuplicateKeyIsReportedWithItsLineAndTheFirstValueKept() {
    YamlMapping m =
        parse(
            "proxies:",
            "  - {name: a, type: socks5}",
            "log-level: info",
            "proxies:",
            "  - {name: b, type: socks5}");
    assertThat(problems.sorted())
        .extracting(Problem::toString)
        .containsExactly("c.yaml:4: proxies: duplicate key");
    assertThat(((YamlSequence) m.get("proxies").get()).items()).hasSize(1);
  }

  @Test
  void mergeKeysAndAliasesAsClashConfigsUseThem() {
    YamlMapping m =
        parse(
            "base: &base",
            "  type: ss",
            "  cipher: aes-128-gcm",
            "  port: 8388",
            "proxies:",
            "  - name: hk1",
            "    <<: *base",
            "    port: 443",
            "  - *base");
    List<YamlNode> proxies = ((YamlSequence) m.get("proxies").get()).items();
    YamlMapping hk1 = (YamlMapping) proxies.get(0);
    assertThat(hk1.keys()).containsExactlyInAnyOrder("name", "port", "type", "cipher");
    assertThat(scalar(hk1, "port").text()).isEqualTo("443"); // written here: overrides the base
    assertThat(scalar(hk1, "port").line()).isEqualTo(8);
    YamlScalar cipher = scalar(hk1, "cipher");
    assertThat(cipher.line()).isEqualTo(3); // where the merged text is written
    assertThat(cipher.path()).isEqualTo("proxies[0].cipher"); // where it is used
    assertThat(scalar((YamlMapping) proxies.get(1), "type").path()).isEqualTo("proxies[1].type");
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void syntaxErrorsNameTheLine() {
    assertThat(YamlFile.parse("c.yaml", "dns:\n  nameserver: [192.0.2.1\nrules: x\n", problems))
        .isEmpty();
    assertThat(problems.sorted()).singleElement().asString().startsWith("c.yaml:3: YAML syntax:");
  }

  @Test
  void anEmptyDocumentIsANullScalarOnLineOne() {
    YamlNode root = YamlFile.parse("c.yaml", "# nothing\n", problems).get();
    assertThat(root).isInstanceOfSatisfying(YamlScalar.class, s -> assertThat(s.isNull()).isTrue());
    assertThat(root.line()).isEqualTo(1);
  }

  @Test
  void nonScalarKeysAreReported() {
    parse("? [a, b]", ": 1", "ok: 2");
    assertThat(problems.sorted())
        .extracting(Problem::toString)
        .containsExactly("c.yaml:1: keys must be plain strings");
  }

  @Test
  void aliasesThatExpandTooFarAreAProblemNotAnOutOfMemory() {
    StringBuilder yaml = new StringBuilder("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for (int i = 1; i <= 9; i++) {
      yaml.append("a").append(i).append(": &a").append(i).append(" [");
      yaml.append(String.join(", ", java.util.Collections.nCopies(10, "*a" + (i - 1))));
      yaml.append("]\n");
    }
    assertThat(YamlFile.parse("c.yaml", yaml.toString(), problems)).isEmpty();
    assertThat(problems.sorted()).singleElement().asString().contains("aliases expand too far");
  }
}
