package dev.turnout.outbound.group;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ExpectedStatusTest {
  @Test
  void mihomosForms() {
    assertThat(ExpectedStatus.parse("*")).isSameAs(ExpectedStatus.ANY);
    ExpectedStatus s = ExpectedStatus.parse("204/200-299/302");
    assertThat(s.test(204)).isTrue();
    assertThat(s.test(250)).isTrue();
    assertThat(s.test(302)).isTrue();
    assertThat(s.test(301)).isFalse();
    assertThat(s.test(503)).isFalse();
    assertThat(ExpectedStatus.ANY.test(503)).isTrue();
  }

  @Test
  void badFormsAreRefusedWithTheForms() {
    for (String bad : new String[] {"20x", "299-200", "1-2-3", "700"}) {
      assertThatThrownBy(() -> ExpectedStatus.parse(bad))
          .as(bad)
          .hasMessageStartingWith("expected *, a status such as 204");
    }
  }
}
