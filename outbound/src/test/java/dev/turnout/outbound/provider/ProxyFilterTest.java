package dev.turnout.outbound.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.config.Problems;
import dev.turnout.config.YamlFile;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlNodes;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Filters and overrides as mihomo writes them. */
class ProxyFilterTest {
  @Test
  void filtersJoinedByABackquoteKeepANameMatchingAny() {
    ProxyFilter f = ProxyFilter.of("(?i)港|HK`Singapore", null, null);
    assertThat(f.accepts("香港 01", "ss")).isTrue();
    assertThat(f.accepts("hk-02", "ss")).isTrue();
    assertThat(f.accepts("Singapore 1", "ss")).isTrue();
    assertThat(f.accepts("Japan 1", "ss")).isFalse();
  }

  @Test
  void excludeFilterAndExcludeTypeDropAndWinOverFilter() {
    ProxyFilter f = ProxyFilter.of("HK", "expire`traffic", "ss|Vmess");
    assertThat(f.accepts("HK trojan", "trojan")).isTrue();
    assertThat(f.accepts("HK expire 2026-12", "trojan")).isFalse();
    assertThat(f.accepts("HK ss", "Shadowsocks")).as("mihomo's adapter name").isFalse();
    assertThat(f.accepts("HK ss", "ss")).as("the type as written").isFalse();
    assertThat(f.accepts("HK vm", "vmess")).isFalse();
    assertThat(ProxyFilter.of(null, "", "")).isSameAs(ProxyFilter.ALL);
  }

  @Test
  void aBadPatternNamesItsKey() {
    assertThatThrownBy(() -> ProxyFilter.of("ok", "(unclosed", null))
        .isInstanceOfSatisfying(
            ProxyFilter.BadPattern.class, e -> assertThat(e.key()).isEqualTo("exclude-filter"))
        .hasMessageContaining("(unclosed");
  }

  @Test
  void overridesSetKeysAndRenameAsMihomoDoes() {
    Problems problems = new Problems("c.yaml");
    YamlNode udp =
        ((YamlMapping) YamlFile.parse("c.yaml", "udp: true\n", problems).orElseThrow())
            .get("udp")
            .orElseThrow();
    ProxyOverride o =
        new ProxyOverride(
            Map.of("udp", udp),
            "[sub] ",
            "",
            List.of(new ProxyOverride.Rename(Pattern.compile("香港(\\d+)"), "HK-$1")));
    YamlMapping entry =
        YamlNodes.mapping("sub.yaml", 7, Map.of("name", "香港01", "type", "ss", "udp", false));
    YamlMapping out = o.apply(entry);
    assertThat(out.text("name")).contains("[sub] HK-01");
    assertThat(out.text("udp")).contains("true");
    assertThat(out.get("udp").orElseThrow().file()).isEqualTo("c.yaml");
    assertThat(out.text("type")).contains("ss");
    assertThat(ProxyOverride.NONE.apply(entry)).isSameAs(entry);
  }
}
