package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class DomainFilterTest {
  private final DomainFilter filter =
      DomainFilter.of(
          List.of(
              "*.lan",
              "+.local",
              ".corp.example",
              "time.windows.com",
              "stun.*.*",
              "+.*.msftncsi.com",
              "+.Upper.Case."));

  @Test
  void starMatchesExactlyOneLabel() {
    assertThat(filter.matches("printer.lan")).isTrue();
    assertThat(filter.matches("lan")).isFalse();
    assertThat(filter.matches("a.printer.lan")).isFalse();
    assertThat(filter.matches("stun.l.google.com")).isFalse(); // four labels vs three
    assertThat(filter.matches("stun.example.com")).isTrue();
  }

  @Test
  void plusMatchesDomainAndSubdomains() {
    assertThat(filter.matches("local")).isTrue();
    assertThat(filter.matches("host.local")).isTrue();
    assertThat(filter.matches("a.b.host.local")).isTrue();
    assertThat(filter.matches("notlocal")).isFalse();
    assertThat(filter.matches("local.com")).isFalse();
  }

  @Test
  void dotMatchesSubdomainsOnly() {
    assertThat(filter.matches("corp.example")).isFalse();
    assertThat(filter.matches("a.corp.example")).isTrue();
    assertThat(filter.matches("a.b.corp.example")).isTrue();
    assertThat(filter.matches("xcorp.example")).isFalse();
  }

  @Test
  void exactNames() {
    assertThat(filter.matches("time.windows.com")).isTrue();
    assertThat(filter.matches("a.time.windows.com")).isFalse();
    assertThat(filter.matches("windows.com")).isFalse();
  }

  @Test
  void wildcardWithPlusPrefix() {
    assertThat(filter.matches("www.msftncsi.com")).isTrue();
    assertThat(filter.matches("a.www.msftncsi.com")).isTrue();
    assertThat(filter.matches("msftncsi.com")).isFalse();
  }

  @Test
  void caseAndTrailingDotInsensitive() {
    assertThat(filter.matches("PRINTER.LAN.")).isTrue();
    assertThat(filter.matches("Host.Local.")).isTrue();
    assertThat(filter.matches("x.upper.case")).isTrue();
    assertThat(filter.matches("upper.case.")).isTrue();
  }

  @Test
  void emptyFilterMatchesNothing() {
    assertThat(DomainFilter.empty().matches("anything.lan")).isFalse();
    assertThat(DomainFilter.of(List.of()).matches("")).isFalse();
  }

  @Test
  void rejectsUnsupportedPatterns() {
    for (String bad : List.of("", "+.", "a..b", "foo*.lan", ".")) {
      assertThatThrownBy(() -> DomainFilter.of(List.of(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("fake-ip-filter");
    }
  }

  @Test
  void setReferencesMatchThroughTheSetsGiven() {
    DomainFilter sets =
        DomainFilter.of(
            List.of("geosite:private", "rule-set:ads", "+.lan"), NameserverPolicyTest.SETS);
    assertThat(sets.matches("router.lan")).isTrue();
    assertThat(sets.matches("Tracker.Test.")).isTrue();
    assertThat(sets.matches("printer.lan")).isTrue();
    assertThat(sets.matches("baidu.cn")).isFalse();
    assertThatThrownBy(() -> DomainFilter.of(List.of("geosite:cn")))
        .hasMessageContaining("geosite:cn cannot be used here");
    assertThatThrownBy(() -> DomainFilter.of(List.of("rule-set:nope"), NameserverPolicyTest.SETS))
        .hasMessageContaining("no rule-set nope");
  }
}
