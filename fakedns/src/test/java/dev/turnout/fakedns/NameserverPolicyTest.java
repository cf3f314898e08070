package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Which group a name goes to: mihomo's first-match order over runs of domains and sets. */
class NameserverPolicyTest {
  /** Stands in for the rule engine's geosite data and providers. */
  static final DomainSets SETS =
      (kind, name) -> {
        Map<String, Set<String>> known =
            Map.of(
                "geosite:cn", Set.of("baidu.cn", "qq.cn", "a.example.com"),
                "geosite:private", Set.of("router.lan"),
                "rule-set:ads", Set.of("ads.example.com", "tracker.test"));
        Set<String> names = known.get(kind.prefix + ":" + name);
        if (names == null) {
          throw new IllegalArgumentException("no " + kind.prefix + " " + name);
        }
        return names::contains;
      };

  private final Upstream one = group("198.51.100.1");
  private final Upstream two = group("198.51.100.2");
  private final Upstream three = group("198.51.100.3");

  private static Upstream group(String server) {
    return Upstream.builder(List.of(server)).build();
  }

  @AfterEach
  void close() {
    one.close();
    two.close();
    three.close();
  }

  @Test
  void setStepsAndDomainRunsAreTriedInTheOrderWritten() {
    NameserverPolicy policy =
        NameserverPolicy.builder(SETS)
            .add("+.example.com", one)
            .add("geosite:cn", two) // a.example.com is in it, but the run above comes first
            .add("a.example.com", three) // a new run after the set: too late for a.example.com
            .add("rule-set:ads", three)
            .build();
    assertThat(policy.match("a.example.com")).isSameAs(one);
    assertThat(policy.match("baidu.cn")).isSameAs(two);
    assertThat(policy.match("ads.example.com")).isSameAs(one);
    assertThat(policy.match("tracker.test")).isSameAs(three);
    assertThat(policy.match("other.test")).isNull();
  }

  @Test
  void insideOneRunTheMostSpecificKeyWins() {
    NameserverPolicy policy =
        NameserverPolicy.builder(SETS)
            .add("+.example.com", one)
            .add("www.example.com", two)
            .add("*.cdn.example.com", three)
            .build();
    assertThat(policy.match("www.example.com")).isSameAs(two);
    assertThat(policy.match("x.cdn.example.com")).isSameAs(three);
    assertThat(policy.match("y.x.cdn.example.com")).isSameAs(one);
  }

  @Test
  void commaListsAndInvertedGeosite() {
    NameserverPolicy policy =
        NameserverPolicy.builder(SETS)
            .add("geosite:private,cn", one)
            .add("a.test,+.b.test", two)
            .add("geosite:!cn", three)
            .build();
    assertThat(policy.match("router.lan")).isSameAs(one);
    assertThat(policy.match("qq.cn")).isSameAs(one);
    assertThat(policy.match("a.test")).isSameAs(two);
    assertThat(policy.match("x.b.test")).isSameAs(two);
    assertThat(policy.match("elsewhere.test")).isSameAs(three);
  }

  @Test
  void unknownSetsAndBadPatternsAreRefused() {
    assertThatThrownBy(() -> NameserverPolicy.builder(SETS).add("rule-set:nope", one))
        .hasMessageContaining("no rule-set nope");
    assertThatThrownBy(() -> NameserverPolicy.builder(SETS).add("a..test", one))
        .hasMessageContaining("not a domain pattern");
    assertThatThrownBy(() -> NameserverPolicy.builder(DomainSets.NONE).add("geosite:cn", one))
        .hasMessageContaining("geosite:cn cannot be used here");
  }
}
