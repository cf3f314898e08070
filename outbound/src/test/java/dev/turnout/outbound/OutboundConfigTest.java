package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.group.Fakes;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.SelectionStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboundConfigTest {
  private final ManualTimeSource clock = new ManualTimeSource();

  private static Map<String, Object> map(Object... kv) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put((String) kv[i], kv[i + 1]);
    }
    return m;
  }

  private OutboundConfig.Result load(
      List<Map<String, Object>> proxies, List<Map<String, Object>> groups, Path dir) {
    return OutboundConfig.load(
        proxies,
        groups,
        Channels.loopbackDialer(),
        new SelectionStore(dir),
        new Fakes.Prober(),
        new Fakes.Scheduler(clock),
        clock);
  }

  private static List<String> messages(OutboundConfig.Result r) {
    return r.problems().stream().map(ConfigProblem::toString).toList();
  }

  @Test
  void validConfigBuildsEveryTypeAndGlobal(@TempDir Path dir) {
    List<Map<String, Object>> proxies =
        List.of(
            map("name", "s5", "type", "socks5", "server", "127.0.0.1", "port", 1080, "udp", true),
            map(
                "name",
                "h",
                "type",
                "http",
                "server",
                "127.0.0.1",
                "port",
                "3128",
                "username",
                "u",
                "password",
                "p",
                "tls",
                true,
                "skip-cert-verify",
                true),
            map(
                "name",
                "ss",
                "type",
                "ss",
                "server",
                "127.0.0.1",
                "port",
                8388,
                "cipher",
                "chacha20-ietf-poly1305",
                "password",
                "pw"),
            map(
                "name",
                "tj",
                "type",
                "trojan",
                "server",
                "127.0.0.1",
                "port",
                443,
                "password",
                "pw",
                "sni",
                "example.org"),
            map(
                "name",
                "vm",
                "type",
                "vmess",
                "server",
                "127.0.0.1",
                "port",
                10086,
                "uuid",
                "b831381d-6324-4d53-ad4f-8cda48b30811",
                "alterId",
                0,
                "cipher",
                "auto"));
    List<Map<String, Object>> groups =
        List.of(
            map(
                "name",
                "auto",
                "type",
                "url-test",
                "proxies",
                List.of("s5", "h"),
                "url",
                "http://198.51.100.2/",
                "interval",
                30,
                "tolerance",
                50),
            map("name", "Proxy", "type", "select", "proxies", List.of("auto", "lb", "DIRECT")),
            map(
                "name",
                "lb",
                "type",
                "load-balance",
                "proxies",
                List.of("ss", "tj", "vm"),
                "strategy",
                "round-robin"));
    OutboundConfig.Result r = load(proxies, groups, dir);
    assertThat(messages(r)).isEmpty();
    Outbounds o = r.outbounds();
    assertThat(o.asMap().keySet())
        .containsExactly(
            "DIRECT",
            "REJECT",
            "REJECT-DROP",
            "s5",
            "h",
            "ss",
            "tj",
            "vm",
            "auto",
            "lb",
            "Proxy",
            "GLOBAL");
    assertThat(o.global().members()).contains("DIRECT", "Proxy", "vm");
    assertThat(((Group) o.get("Proxy")).now()).isEqualTo("auto");
  }

  @Test
  void problemsNameTheEntryAndTheField(@TempDir Path dir) {
    List<Map<String, Object>> proxies = new ArrayList<>();
    proxies.add(
        map(
            "name",
            "hk1",
            "type",
            "ss",
            "server",
            "1.2.3.4",
            "port",
            8388,
            "cipher",
            "rc4-md5",
            "password",
            "x"));
    proxies.add(map("name", "p2", "type", "wireguard", "server", "a", "port", 1));
    proxies.add(map("type", "socks5", "server", "a", "port", 1));
    proxies.add(map("name", "p4", "type", "socks5", "server", "a", "port", 70000));
    proxies.add(map("name", "DIRECT", "type", "socks5", "server", "a", "port", 1));
    proxies.add(
        map("name", "v", "type", "vmess", "server", "a", "port", 1, "uuid", "nope", "alterId", 64));
    proxies.add(
        map(
            "name",
            "o",
            "type",
            "ss",
            "server",
            "a",
            "port",
            1,
            "cipher",
            "aes-128-gcm",
            "password",
            "x",
            "plugin",
            "obfs",
            "mystery",
            1));
    List<Map<String, Object>> groups =
        List.of(
            map("name", "g1", "type", "select", "proxies", List.of("g2")),
            map("name", "g2", "type", "fallback", "proxies", List.of("g1"), "url", "http://x/"),
            map("name", "g3", "type", "url-test", "proxies", List.of("nothere")),
            map("name", "g4", "type", "select", "proxies", List.of("hk1")));
    List<String> m = messages(load(proxies, groups, dir));
    assertThat(m)
        .contains(
            "proxy \"hk1\": field \"cipher\": expected one of aes-128-gcm, aes-256-gcm,"
                + " chacha20-ietf-poly1305, got \"rc4-md5\"",
            "proxy \"p2\": field \"type\": expected one of socks5, http, ss, trojan, vmess, got"
                + " \"wireguard\"",
            "proxy #3: field \"name\": missing; expected a non-empty string",
            "proxy \"p4\": field \"port\": expected a port number 1-65535, got 70000",
            "proxy \"v\": field \"uuid\": expected a UUID like 3f9e2d1c-..., got \"nope\"",
            "proxy \"v\": field \"alterId\": expected 0 (only VMess AEAD is supported)",
            "proxy \"o\": field \"plugin\": Shadowsocks plugins are not supported",
            "proxy \"o\": field \"mystery\": unknown key, ignored",
            "proxy-group \"g3\": field \"url\": missing; expected a string",
            "proxy-group \"g3\": field \"proxies\": no proxy or group named \"nothere\"",
            "proxy-group \"g4\": field \"proxies\": member \"hk1\" is a proxy with errors");
    assertThat(m).anyMatch(s -> s.startsWith("proxy \"DIRECT\": field \"name\""));
    assertThat(m).anyMatch(s -> s.contains("(a cycle)"));
  }

  @Test
  void problemsCarryTheIndexForTheLauncher(@TempDir Path dir) {
    var r = load(List.of(map("name", "x", "type", "socks5", "port", 1)), List.of(), dir);
    assertThat(r.hasErrors()).isTrue();
    ConfigProblem p = r.problems().get(0);
    assertThat(p.index()).isZero();
    assertThat(p.section().key()).isEqualTo("proxies");
    assertThat(p.field()).isEqualTo("server");
  }
}
