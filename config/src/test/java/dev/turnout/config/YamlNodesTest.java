package dev.turnout.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nodes built in code read like parsed ones: text, paths, and the line they stand for. */
class YamlNodesTest {
  @Test
  void builtMappingsNestAndKeepTheirLineAndOrder() {
    Map<String, Object> values = new LinkedHashMap<>();
    values.put("name", "HK 01");
    values.put("port", 443);
    values.put("tls", true);
    values.put("skipped", null);
    values.put("alpn", List.of("h2", "http/1.1"));
    values.put("ws-opts", Map.of("path", "/ray"));
    YamlMapping m = YamlNodes.mapping("sub (decoded)", 7, values);
    assertThat(m.keys()).containsExactly("name", "port", "tls", "alpn", "ws-opts");
    assertThat(((YamlScalar) m.get("port").orElseThrow()).asLong()).hasValue(443);
    assertThat(((YamlScalar) m.get("tls").orElseThrow()).asBoolean()).contains(true);
    YamlNode path = ((YamlMapping) m.get("ws-opts").orElseThrow()).get("path").orElseThrow();
    assertThat(path.path()).isEqualTo("ws-opts.path");
    assertThat(path.file() + ":" + path.line()).isEqualTo("sub (decoded):7");
    assertThat(((YamlSequence) m.get("alpn").orElseThrow()).items()).hasSize(2);
  }

  @Test
  void withReplacesInPlaceAndAddsAfter() {
    Problems problems = new Problems("c.yaml");
    YamlMapping base =
        (YamlMapping) YamlFile.parse("c.yaml", "a: 1\nb: 2\n", problems).orElseThrow();
    YamlMapping out =
        YamlNodes.with(
            base,
            Map.of(
                "b", YamlNodes.scalar("o.yaml", 9, "x"), "c", YamlNodes.scalar("o.yaml", 9, "y")));
    assertThat(out.keys()).containsExactly("a", "b", "c");
    assertThat(out.text("b")).contains("x");
    assertThat(out.get("b").orElseThrow().line()).isEqualTo(9);
    assertThat(base.text("b")).contains("2");
  }
}
