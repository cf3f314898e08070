package dev.turnout.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.rules.Matchers.All;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link Items}: single items and whole lists, numbered in order, against a flat list. */
class ItemsTest {
  @Test
  void noItems() {
    Items items = new Items().freeze();
    assertThat(items.size()).isZero();
    assertThatThrownBy(() -> items.rule(0)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void emptyListsTakeNoNumbers() {
    Items items = new Items();
    Rule r = rule(1);
    assertThat(items.addAll(List.of(), "P", "v")).isZero();
    assertThat(items.add(r, "DIRECT", null)).isZero();
    assertThat(items.addAll(List.of(), "P", "v")).isEqualTo(1);
    assertThat(items.add(null, "REJECT", null)).isEqualTo(1);
    items.freeze();
    assertThat(items.size()).isEqualTo(2);
    assertThat(items.rule(0)).isSameAs(r);
    assertThat(items.policy(0)).isEqualTo("DIRECT");
    assertThat(items.rule(1)).isNull();
    assertThat(items.policy(1)).isEqualTo("REJECT");
    assertThatThrownBy(() -> items.via(2)).isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> items.via(-1)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void agreesWithAFlatList() {
    Random rnd = new Random(3);
    for (int round = 0; round < 50; round++) {
      Items items = new Items();
      if (rnd.nextBoolean()) {
        items.expect(rnd.nextInt(100));
      }
      List<Rule> rules = new ArrayList<>();
      List<String> policies = new ArrayList<>();
      List<String> vias = new ArrayList<>();
      for (int run = rnd.nextInt(200); run > 0; run--) {
        String policy = "P" + rnd.nextInt(5);
        String via = rnd.nextBoolean() ? null : "via " + run;
        int first;
        if (rnd.nextBoolean()) {
          first = items.add(rule(run), policy, via);
          rules.add(rule(run));
        } else {
          List<Rule> list = new ArrayList<>();
          for (int i = rnd.nextInt(rnd.nextInt(10) == 0 ? 3000 : 5); i > 0; i--) {
            list.add(rule(i));
          }
          first = items.addAll(list, policy, via);
          rules.addAll(list);
        }
        assertThat(first).isEqualTo(policies.size());
        while (policies.size() < rules.size()) {
          policies.add(policy);
          vias.add(via);
        }
      }
      items.freeze();
      assertThat(items.size()).isEqualTo(rules.size());
      for (int i = 0; i < rules.size(); i++) {
        assertThat(items.rule(i).text())
            .as("round %d item %d", round, i)
            .isEqualTo(rules.get(i).text());
        assertThat(items.policy(i)).isEqualTo(policies.get(i));
        assertThat(items.via(i)).isEqualTo(vias.get(i));
      }
    }
  }

  private static Rule rule(int n) {
    return new Rule(new All(), "P", "MATCH," + n, "MATCH," + n + ",P", "config.yaml:" + n);
  }
}
