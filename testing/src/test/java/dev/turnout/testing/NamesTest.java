package dev.turnout.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class NamesTest {
  @Test
  void namesAreDistinctAndCarryThePid() {
    String pid = Long.toHexString(ProcessHandle.current().pid());
    Set<String> names = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      String name = Names.unique("tv");
      assertThat(name).startsWith("tv" + pid + "-");
      assertThat(names.add(name)).as(name).isTrue();
    }
  }

  @Test
  void aVethNameFromAShortPrefixFitsAnInterfaceName() {
    assertThat(Names.unique("tv") + "a").hasSizeLessThanOrEqualTo(15);
  }
}
