package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The search order of mihomo's domain trie: the most specific pattern wins. */
class DomainTrieTest {
  private static DomainTrie<String> trie(String... patterns) {
    DomainTrie<String> trie = new DomainTrie<>();
    for (String p : patterns) {
      trie.put(p, p);
    }
    return trie;
  }

  @Test
  void deeperPatternsWinWhateverTheOrder() {
    List<String> patterns =
        new ArrayList<>(
            List.of("+.example.com", "+.a.example.com", "b.a.example.com", "*.a.example.com"));
    Random random = new Random(15);
    for (int round = 0; round < 20; round++) {
      Collections.shuffle(patterns, random);
      DomainTrie<String> trie = trie(patterns.toArray(String[]::new));
      assertThat(trie.get("b.a.example.com")).as("%s", patterns).isEqualTo("b.a.example.com");
      assertThat(trie.get("c.a.example.com")).as("%s", patterns).isEqualTo("*.a.example.com");
      assertThat(trie.get("x.c.a.example.com")).as("%s", patterns).isEqualTo("+.a.example.com");
      assertThat(trie.get("a.example.com")).as("%s", patterns).isEqualTo("+.a.example.com");
      assertThat(trie.get("x.example.com")).as("%s", patterns).isEqualTo("+.example.com");
      assertThat(trie.get("example.com")).as("%s", patterns).isEqualTo("+.example.com");
      assertThat(trie.get("example.org")).as("%s", patterns).isNull();
    }
  }

  @Test
  void exactLabelIsTriedBeforeStarAtEachLevel() {
    DomainTrie<String> trie = trie("*.*.test", "x.*.test", "*.y.test");
    assertThat(trie.get("x.y.test")).isEqualTo("*.y.test"); // y is exact one level up
    assertThat(trie.get("x.z.test")).isEqualTo("x.*.test");
    assertThat(trie.get("w.z.test")).isEqualTo("*.*.test");
    assertThat(trie.get("z.test")).isNull();
  }

  @Test
  void dotMeansSubdomainsOnlyAndPlusBoth() {
    DomainTrie<String> trie = trie(".corp.test", "+.home.test");
    assertThat(trie.get("corp.test")).isNull();
    assertThat(trie.get("a.b.corp.test")).isEqualTo(".corp.test");
    assertThat(trie.get("home.test")).isEqualTo("+.home.test");
    assertThat(trie.get("HOST.Home.Test.")).isEqualTo("+.home.test");
  }

  @Test
  void addingAPatternAgainReplacesItsValue() {
    DomainTrie<String> trie = new DomainTrie<>();
    trie.put("a.test", "first");
    trie.put("A.test.", "second");
    assertThat(trie.get("a.test")).isEqualTo("second");
  }

  @Test
  void rejectsWhatIsNoPattern() {
    for (String bad : List.of("", "a..b", "foo*.lan", "+.", "geosite:cn")) {
      assertThatThrownBy(() -> new DomainTrie<String>().put(bad, "x"))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }
}
