package dev.turnout.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Typed reads: defaults after a problem, every problem with its line, unread keys by policy. */
class MappingReaderTest {
  private final Problems problems = new Problems("c.yaml");

  private MappingReader read(String... lines) {
    return MappingReader.of(
        YamlFile.parse("c.yaml", String.join("\n", lines) + "\n", problems).get(), problems);
  }

  private List<String> messages() {
    return problems.sorted().stream().map(Problem::toString).toList();
  }

  @Test
  void typedReadsReturnTheValueOrTheDefaultAfterRecordingAProblem() {
    MappingReader top =
        read(
            "tun:",
            "  mtu: 70000",
            "  enable: maybe",
            "  stack: gvisor",
            "  device: [a]",
            "  udp-timeout: 30",
            "  auto-route: yes",
            "name: NO");
    MappingReader tun = top.mapping("tun");
    assertThat(tun.integer("mtu", 1500, 576, 65535)).isEqualTo(1500);
    assertThat(tun.bool("enable", true)).isTrue();
    assertThat(tun.choice("stack", "system", List.of("system"))).isEqualTo("system");
    assertThat(tun.string("device", "turnout0")).isEqualTo("turnout0");
    assertThat(tun.seconds("udp-timeout", 60, 1, 86400)).isEqualTo(Duration.ofSeconds(30));
    assertThat(tun.bool("auto-route", false)).isTrue();
    assertThat(tun.string("absent", "x")).isEqualTo("x");
    assertThat(top.string("name", null)).isEqualTo("NO");
    assertThat(messages())
        .containsExactly(
            "c.yaml:2: tun.mtu: expected an integer from 576 to 65535, got \"70000\"",
            "c.yaml:3: tun.enable: expected true or false, got \"maybe\"",
            "c.yaml:4: tun.stack: expected one of system, got \"gvisor\"",
            "c.yaml:5: tun.device: expected a single value");
    assertThat(problems.summary()).isEqualTo("4 errors, 0 warnings");
  }

  @Test
  void listsReportTheirBadItemsAndKeepTheRest() {
    MappingReader top =
        read("a: [x, {y: 1}, z]", "b: 1", "c:", "  - {name: p}", "  - q", "d: [[1]]");
    assertThat(top.scalars("a")).extracting(YamlScalar::text).containsExactly("x", "z");
    assertThat(top.scalars("b")).isEmpty();
    assertThat(top.mappings("c")).hasSize(1);
    assertThat(top.scalars("absent")).isEmpty();
    assertThat(messages())
        .containsExactly(
            "c.yaml:1: a: expected a list of plain values",
            "c.yaml:2: b: expected a list",
            "c.yaml:5: c: expected a list of mappings");
  }

  @Test
  void aSectionThatIsNotAMappingIsReportedAndReadsAsEmpty() {
    MappingReader top = read("dns: [1, 2]");
    assertThat(top.mapping("dns").string("listen", "x")).isEqualTo("x");
    assertThat(top.mapping("absent").keys()).isEmpty();
    assertThat(messages()).containsExactly("c.yaml:1: dns: expected a mapping of keys");
  }

  @Test
  void unreadKeysAreReportedAsThePolicyOfTheSectionSays() {
    MappingReader top =
        read("log-level: info", "unified-delay: true", "colour: blue", "rule: [MATCH,DIRECT]");
    top.string("log-level", "info");
    top.scalars("rules");
    top.reportUnread(KeyPolicy.TOP_LEVEL);
    assertThat(messages())
        .containsExactly(
            "c.yaml:2: warning: unified-delay: accepted and ignored: health checks always measure"
                + " one HTTP request through the member, connect included",
            "c.yaml:3: warning: colour: unknown key, ignored",
            "c.yaml:4: warning: rule: unknown key, ignored; did you mean rules?");
    assertThat(problems.hasErrors()).isFalse();
  }

  @Test
  void aKeyWhoseAbsenceWouldRouteOtherwiseIsRefusedWithItsReason() {
    MappingReader tun = read("tun:", "  loopback-address: [198.51.100.1]").mapping("tun");
    tun.reportUnread(KeyPolicy.TUN);
    assertThat(messages())
        .singleElement()
        .asString()
        .startsWith("c.yaml:2: tun.loopback-address: not supported: connections to these")
        .endsWith("; remove it");
  }

  @Test
  void aKnownKeyWrittenWithoutEffectIsAcceptedSilently() {
    MappingReader top =
        read(
            "keep-alive-idle: 0",
            "unified-delay: false",
            "external-controller-pipe: ''",
            "tun:",
            "  loopback-address: []",
            "  auto-redirect: false",
            "  mystery: false");
    top.mapping("tun").reportUnread(KeyPolicy.TUN);
    top.reportUnread(KeyPolicy.TOP_LEVEL);
    assertThat(messages()).containsExactly("c.yaml:7: warning: tun.mystery: unknown key, ignored");
  }

  @Test
  void inAStrictSectionAnUnknownKeyStaysAnErrorListingTheKnownOnes() {
    MappingReader dns = read("dns:", "  listen: :53", "  listne: :53");
    dns.mapping("dns").string("listen", null);
    dns.mapping("dns").reportUnread(KeyPolicy.DNS);
    assertThat(messages())
        .containsExactly("c.yaml:3: dns.listne: unknown key; expected one of listen");
  }

  @Test
  void editDistanceIsCaseInsensitiveLevenshtein() {
    assertThat(KeyPolicy.distance("rule", "rules")).isEqualTo(1);
    assertThat(KeyPolicy.distance("Proxy-Grups", "proxy-groups")).isEqualTo(1);
    assertThat(KeyPolicy.distance("tun", "tls")).isEqualTo(2);
    assertThat(KeyPolicy.distance("", "dns")).isEqualTo(3);
  }

  @Test
  void inAProxyAnUnreadKeyIsAWarning() {
    MappingReader proxy = read("name: a", "mystery: 1");
    proxy.string("name", null);
    proxy.reportUnread(KeyPolicy.PROXY);
    assertThat(messages()).containsExactly("c.yaml:2: warning: mystery: unknown key, ignored");
    assertThat(problems.hasErrors()).isFalse();
    assertThat(problems.summary()).isEqualTo("0 errors, 1 warning");
  }

  @Test
  void aNestedSectionRemembersWhatWasReadInItAcrossCalls() {
    MappingReader top = read("dns:", "  listen: :53", "  ipv6: false");
    top.mapping("dns").string("listen", null);
    top.mapping("dns").bool("ipv6", false);
    top.mapping("dns").reportUnread(KeyPolicy.DNS);
    top.reportUnread(KeyPolicy.TOP_LEVEL);
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void problemsAreSortedByFileThenLineWithTheMainFileFirst() {
    problems.add(Severity.ERROR, "b.yaml", 1, "", "x");
    problems.add(Severity.WARNING, "c.yaml", 9, "k", "y");
    problems.add(Severity.ERROR, "a.yaml", 5, "", "z");
    problems.add(Severity.ERROR, "c.yaml", 2, "k", "w");
    assertThat(messages())
        .containsExactly("c.yaml:2: k: w", "c.yaml:9: warning: k: y", "a.yaml:5: z", "b.yaml:1: x");
    assertThat(problems.summary()).isEqualTo("3 errors, 1 warning");
  }
}
