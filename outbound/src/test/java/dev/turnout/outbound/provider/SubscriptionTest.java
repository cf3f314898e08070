package dev.turnout.outbound.provider;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problem;
import dev.turnout.config.Severity;
import dev.turnout.config.YamlMapping;
import dev.turnout.config.YamlNode;
import dev.turnout.config.YamlScalar;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** What subscription services serve, in each of its forms, read into Clash entries. */
class SubscriptionTest {
  private static Subscription.Parsed parse(String body) {
    return Subscription.parse("sub", body.getBytes(StandardCharsets.UTF_8));
  }

  /** The entry as flat text, nested keys dotted: {@code {name=a, ws-opts.path=/v}}. */
  private static Map<String, String> flat(YamlMapping m) {
    Map<String, String> out = new LinkedHashMap<>();
    flatten("", m, out);
    return out;
  }

  private static void flatten(String prefix, YamlNode n, Map<String, String> out) {
    if (n instanceof YamlMapping m) {
      m.entries().forEach(e -> flatten(prefix + e.name() + ".", e.value(), out));
    } else if (n instanceof dev.turnout.config.YamlSequence s) {
      out.put(
          prefix.substring(0, prefix.length() - 1),
          s.items().stream()
              .map(i -> ((YamlScalar) i).text())
              .collect(Collectors.joining(",", "[", "]")));
    } else {
      out.put(prefix.substring(0, prefix.length() - 1), ((YamlScalar) n).text());
    }
  }

  private static Map<String, String> one(String uri) {
    Subscription.Parsed p = parse(uri + "\n");
    assertThat(p.problems()).isEmpty();
    return flat(p.proxies().get(0));
  }

  private static String b64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String b64url(String s) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void clashYamlTakesTheProxiesListAndIgnoresTheRest() {
    Subscription.Parsed p =
        parse(
            "port: 7890\nproxies:\n  - {name: a, type: ss, server: 192.0.2.1, port: 8388}\n"
                + "  - not a mapping\nproxy-groups: []\nrules: [MATCH,DIRECT]\n");
    assertThat(p.form()).isEqualTo(Subscription.Form.CLASH_YAML);
    assertThat(p.proxies()).singleElement().satisfies(m -> assertThat(m.line()).isEqualTo(3));
    assertThat(p.problems())
        .singleElement()
        .satisfies(
            w -> {
              assertThat(w.severity()).isEqualTo(Severity.WARNING);
              assertThat(w.line()).isEqualTo(4);
            });
  }

  @Test
  void sip002WithBase64UserInfoAndAnObfsPlugin() {
    assertThat(
            one(
                "ss://"
                    + b64url("aes-256-gcm:pa:ss")
                    + "@192.0.2.1:8388/?plugin=obfs-local%3Bobfs%3Dhttp%3Bobfs-host%3Dcdn.example"
                    + "#HK%20%E9%A6%99%E6%B8%AF%2001"))
        .containsExactly(
            Map.entry("name", "HK 香港 01"),
            Map.entry("type", "ss"),
            Map.entry("server", "192.0.2.1"),
            Map.entry("port", "8388"),
            Map.entry("cipher", "aes-256-gcm"),
            Map.entry("password", "pa:ss"),
            Map.entry("udp", "true"),
            Map.entry("plugin", "obfs"),
            Map.entry("plugin-opts.mode", "http"),
            Map.entry("plugin-opts.host", "cdn.example"));
  }

  @Test
  void sip002WithAPlainUserInfoAndTheOlderAllBase64Form() {
    assertThat(one("ss://2022-blake3-aes-128-gcm:a%2Bb%3D@[2001:db8::1]:443#v6"))
        .containsEntry("server", "2001:db8::1")
        .containsEntry("cipher", "2022-blake3-aes-128-gcm")
        .containsEntry("password", "a+b=");
    assertThat(one("ss://" + b64("chacha20-ietf-poly1305:pw@198.51.100.7:8389") + "#old"))
        .containsEntry("name", "old")
        .containsEntry("server", "198.51.100.7")
        .containsEntry("port", "8389")
        .containsEntry("password", "pw");
  }

  @Test
  void vmessIsBase64JsonWithItsTransport() {
    String json =
        "{\"v\":\"2\",\"ps\":\"JP \\u4e1c\\u4eac\",\"add\":\"203.0.113.9\",\"port\":\"443\","
            + "\"id\":\"b831381d-6324-4d53-ad4f-8cda48b30811\",\"aid\":0,\"scy\":\"auto\","
            + "\"net\":\"ws\",\"type\":\"none\",\"host\":\"cdn.example\",\"path\":\"\\/ray\","
            + "\"tls\":\"tls\",\"sni\":\"cdn.example\"}";
    assertThat(one("vmess://" + b64(json)))
        .containsEntry("name", "JP 东京")
        .containsEntry("type", "vmess")
        .containsEntry("port", "443")
        .containsEntry("uuid", "b831381d-6324-4d53-ad4f-8cda48b30811")
        .containsEntry("alterId", "0")
        .containsEntry("tls", "true")
        .containsEntry("servername", "cdn.example")
        .containsEntry("network", "ws")
        .containsEntry("ws-opts.path", "/ray")
        .containsEntry("ws-opts.headers.Host", "cdn.example");
  }

  @Test
  void urlFormsOfTheOtherTypes() {
    assertThat(
            one(
                "trojan://p%40ss@198.51.100.3:443?sni=t.example&allowInsecure=1&type=grpc"
                    + "&serviceName=gun#TJ"))
        .containsEntry("type", "trojan")
        .containsEntry("password", "p@ss")
        .containsEntry("sni", "t.example")
        .containsEntry("skip-cert-verify", "true")
        .containsEntry("network", "grpc")
        .containsEntry("grpc-opts.grpc-service-name", "gun");
    assertThat(
            one(
                "vless://b831381d-6324-4d53-ad4f-8cda48b30811@198.51.100.4:443?encryption=none"
                    + "&security=reality&sni=www.example&fp=chrome&pbk=KEY&sid=ab&type=tcp"
                    + "&flow=xtls-rprx-vision#VL"))
        .containsEntry("type", "vless")
        .containsEntry("flow", "xtls-rprx-vision")
        .containsEntry("reality-opts.public-key", "KEY");
    assertThat(one("hysteria2://secret@198.51.100.5:8443/?sni=h.example&insecure=1#HY"))
        .containsEntry("type", "hysteria2")
        .containsEntry("password", "secret")
        .containsEntry("skip-cert-verify", "true");
    assertThat(one("hy2://secret@198.51.100.5#bare")).containsEntry("port", "443");
    assertThat(one("tuic://b831381d-6324-4d53-ad4f-8cda48b30811:pw@198.51.100.6:443?alpn=h3#T"))
        .containsEntry("type", "tuic")
        .containsEntry("password", "pw")
        .containsEntry("alpn", "[h3]");
    assertThat(one("socks5://" + b64("u:p") + "@198.51.100.8:1080#S"))
        .containsEntry("type", "socks5")
        .containsEntry("username", "u")
        .containsEntry("password", "p");
    assertThat(one("https://u:p@198.51.100.9#H"))
        .containsEntry("type", "http")
        .containsEntry("port", "443")
        .containsEntry("tls", "true");
    String ssr =
        "198.51.100.10:8388:auth_aes128_md5:aes-256-cfb:tls1.2_ticket_auth:"
            + b64url("pw")
            + "/?remarks="
            + b64url("SSR 01");
    assertThat(one("ssr://" + b64url(ssr)))
        .containsEntry("name", "SSR 01")
        .containsEntry("type", "ssr")
        .containsEntry("port", "8388")
        .containsEntry("protocol", "auth_aes128_md5");
  }

  @Test
  void aBase64ListIsDecodedAndItsBadLinesSkippedWithoutTheirSecrets() {
    String list =
        String.join(
            "\n",
            "ss://" + b64url("aes-128-gcm:pw") + "@192.0.2.1:8388#a",
            "vmess://not-json-at-all",
            "snell://whatever",
            "",
            "trojan://pw@192.0.2.2:443#b");
    Subscription.Parsed p = parse(Base64.getEncoder().encodeToString(list.getBytes()) + "\n");
    assertThat(p.form()).isEqualTo(Subscription.Form.BASE64_URI_LIST);
    assertThat(p.proxies()).extracting(m -> m.text("name").orElse("")).containsExactly("a", "b");
    assertThat(p.proxies().get(1).line()).isEqualTo(5);
    assertThat(p.problems())
        .extracting(Problem::toString)
        .containsExactly(
            "sub (decoded):2: warning: skipped vmess://: the vmess link is not base64 JSON",
            "sub (decoded):3: warning: skipped snell://: unknown kind of proxy URI snell");
  }

  @Test
  void aPlainListAndABodyInNoKnownForm() {
    assertThat(parse("trojan://pw@192.0.2.2:443#b\r\n").form())
        .isEqualTo(Subscription.Form.URI_LIST);
    Subscription.Parsed bad = parse("<html>503 Service Unavailable</html>");
    assertThat(bad.usable()).isFalse();
    assertThat(bad.problems())
        .singleElement()
        .satisfies(e -> assertThat(e.severity()).isEqualTo(Severity.ERROR));
  }

  @Test
  void malformedLinesNeverStopTheList() {
    // Seeded fuzz: every mangling of valid lines is skipped or read, never thrown.
    java.util.Random random = new java.util.Random(15);
    List<String> seeds =
        List.of(
            "ss://" + b64url("aes-128-gcm:pw") + "@192.0.2.1:8388#a",
            "trojan://pw@192.0.2.2:443?sni=x#b",
            "vmess://" + b64("{\"add\":\"192.0.2.3\",\"port\":1,\"id\":\"x\"}"),
            "ssr://" + b64url("h:1:p:m:o:" + b64url("x")));
    for (int i = 0; i < 2000; i++) {
      StringBuilder line = new StringBuilder(seeds.get(random.nextInt(seeds.size())));
      for (int k = random.nextInt(4); k >= 0; k--) {
        int at = random.nextInt(line.length());
        line.setCharAt(at, (char) (' ' + random.nextInt(95)));
      }
      Subscription.Parsed p = parse(line + "\ntrojan://pw@192.0.2.9:443#last\n");
      assertThat(p.proxies()).isNotEmpty();
    }
  }
}
