package dev.turnout.controller.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The writer and reader against hand-written JSON, each other, and Jackson as an independent
 * implementation: whatever we write Jackson reads back equal, and whatever Jackson writes we read.
 */
class JsonTest {
  private static final ObjectMapper JACKSON = new ObjectMapper();

  @Test
  void writesObjectsArraysAndEscapes() {
    JsonWriter w = new JsonWriter();
    w.beginObject()
        .field("name", "a \"b\" \\ c\n\u0001\u2028")
        .field("n", -42)
        .field("ok", true)
        .name("list")
        .beginArray()
        .value(1.5)
        .nullValue()
        .value(Double.NaN)
        .beginObject()
        .endObject()
        .endArray()
        .endObject();
    assertThat(w.toString())
        .isEqualTo(
            "{\"name\":\"a \\\"b\\\" \\\\ c\\n\\u0001\\u2028\",\"n\":-42,\"ok\":true,"
                + "\"list\":[1.5,null,null,{}]}");
  }

  @Test
  void misuseIsAnError() {
    assertThatThrownBy(() -> new JsonWriter().beginObject().value(1))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new JsonWriter().beginArray().name("x"))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new JsonWriter().beginArray().endObject())
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> new JsonWriter().value(1).value(2))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void readsWhatDashboardsSend() {
    assertThat(JsonReader.parseObject(" {\"name\" : \"dante-b\"}\n"))
        .containsEntry("name", "dante-b");
    Map<String, Object> patch = JsonReader.parseObject("{\"socks-port\":7891,\"allow-lan\":false}");
    assertThat(patch).containsEntry("socks-port", 7891L).containsEntry("allow-lan", false);
    assertThat(JsonReader.parse("\"\\ud83d\\ude00 \\u00e9\"")).isEqualTo("\ud83d\ude00 \u00e9");
    assertThat(JsonReader.parse("[1e3,-0.5,12345678901234567890]"))
        .isEqualTo(List.of(1000.0, -0.5, 1.2345678901234567e19));
  }

  @Test
  void rejectsWhatIsNotJson() {
    for (String bad :
        List.of(
            "",
            "{",
            "{\"a\":1,}",
            "[1,]",
            "01",
            "1.",
            "-",
            "\"\\x\"",
            "\"tab\there\"",
            "{a:1}",
            "true false",
            "nul",
            "[".repeat(100) + "]".repeat(100))) {
      assertThatThrownBy(() -> JsonReader.parse(bad)).as(bad).isInstanceOf(JsonException.class);
    }
    assertThatThrownBy(() -> JsonReader.parseObject("[]")).isInstanceOf(JsonException.class);
  }

  @Test
  void randomTreesSurviveBothWaysAndAgreeWithJackson() throws Exception {
    Random random = new Random(20261204);
    for (int i = 0; i < 2000; i++) {
      Object tree = randomValue(random, 0);
      String ours = new JsonWriter().tree(tree).toString();
      assertThat(JsonReader.parse(ours)).as(ours).isEqualTo(tree);
      assertThat(normalize(JACKSON.readValue(ours, Object.class))).as(ours).isEqualTo(tree);
      String theirs = JACKSON.writeValueAsString(tree);
      assertThat(JsonReader.parse(theirs)).as(theirs).isEqualTo(tree);
    }
  }

  private static Object randomValue(Random random, int depth) {
    int kind = random.nextInt(depth > 4 ? 5 : 7);
    return switch (kind) {
      case 0 -> null;
      case 1 -> random.nextBoolean();
      case 2 -> random.nextLong() >> random.nextInt(64);
      case 3 -> random.nextInt(1000) / 4.0 + 0.125; // exact in binary, never integral
      case 4 -> randomString(random);
      case 5 -> {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int n = random.nextInt(5); n > 0; n--) {
          map.put(randomString(random), randomValue(random, depth + 1));
        }
        yield map;
      }
      default -> {
        List<Object> list = new ArrayList<>();
        for (int n = random.nextInt(5); n > 0; n--) {
          list.add(randomValue(random, depth + 1));
        }
        yield list;
      }
    };
  }

  /** Characters across the planes, controls and surrogate pairs included (no lone ones). */
  private static String randomString(Random random) {
    StringBuilder sb = new StringBuilder();
    for (int n = random.nextInt(12); n > 0; n--) {
      int cp =
          switch (random.nextInt(5)) {
            case 0 -> random.nextInt(0x20);
            case 1 -> 0x20 + random.nextInt(0x60);
            case 2 -> "\"\\/\u2028\u2029".charAt(random.nextInt(5));
            case 3 -> 0x1F300 + random.nextInt(0x300);
            default -> 0xA0 + random.nextInt(0xD000);
          };
      sb.appendCodePoint(cp);
    }
    return sb.toString();
  }

  /** Jackson reads small integers as Integer; ours are Long. */
  private static Object normalize(Object value) {
    if (value instanceof Integer i) {
      return i.longValue();
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put((String) k, normalize(v)));
      return out;
    }
    if (value instanceof List<?> list) {
      return list.stream().map(JsonTest::normalize).toList();
    }
    return value;
  }
}
