package dev.turnout.outbound.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplayWindowTest {
  @Test
  void acceptsEachCounterOnceInAnyOrderWithinTheWindow() {
    ReplayWindow w = new ReplayWindow();
    assertThat(w.accept(0)).isTrue();
    assertThat(w.accept(0)).isFalse();
    assertThat(w.accept(5)).isTrue();
    assertThat(w.accept(3)).isTrue();
    assertThat(w.accept(3)).isFalse();
    assertThat(w.accept(5 + ReplayWindow.SIZE)).isTrue();
    assertThat(w.accept(5)).as("fell out of the window").isFalse();
    assertThat(w.accept(6)).isTrue();
    assertThat(w.accept(-1)).isFalse();
    assertThat(w.accept(ReplayWindow.LIMIT)).isFalse();
  }

  @Test
  void freshDoesNotMark() {
    ReplayWindow w = new ReplayWindow();
    assertThat(w.fresh(9)).isTrue();
    assertThat(w.fresh(9)).isTrue();
    assertThat(w.accept(9)).isTrue();
    assertThat(w.fresh(9)).isFalse();
  }

  /** Against a model: accepted iff never seen and within SIZE of the highest seen. */
  @Test
  void agreesWithASetModel() {
    Random random = new Random(6479);
    for (int round = 0; round < 20; round++) {
      ReplayWindow w = new ReplayWindow();
      Set<Long> seen = new HashSet<>();
      long highest = -1;
      long base = 0;
      for (int i = 0; i < 5000; i++) {
        base += random.nextInt(3);
        long counter = Math.max(0, base + random.nextInt(2 * ReplayWindow.SIZE + 200) - 2200);
        if (random.nextInt(50) == 0) {
          base += random.nextInt(3 * ReplayWindow.SIZE);
        }
        boolean expected =
            !seen.contains(counter) && (counter > highest || highest - counter < ReplayWindow.SIZE);
        assertThat(w.accept(counter))
            .as("counter %d, highest %d", counter, highest)
            .isEqualTo(expected);
        if (expected) {
          seen.add(counter);
          highest = Math.max(highest, counter);
        }
      }
    }
  }
}
