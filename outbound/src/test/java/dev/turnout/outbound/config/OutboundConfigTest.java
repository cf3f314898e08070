package dev.turnout.outbound.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.Entries;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UnavailableOutbound;
import dev.turnout.outbound.group.Fakes;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.SelectionStore;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutboundConfigTest {
  private final ManualTimeSource clock = new ManualTimeSource();

  private OutboundConfig.Result load(String... yaml) {
    return OutboundConfig.load(
        Entries.parse("proxies", yaml),
        Entries.parse("proxy-groups", yaml),
        Channels.loopbackDialer(),
        new SelectionStore(dir),
        new Fakes.Prober(),
        new Fakes.Scheduler(clock),
        clock);
  }

  @TempDir Path dir;

  private static List<String> messages(OutboundConfig.Result r) {
    return r.problems().stream().map(ConfigProblem::toString).toList();
  }

  @Test
  void validConfigBuildsEveryTypeAndGlobal() {
    OutboundConfig.Result r =
        load(
            "proxies:",
            "  - {name: s5, type: socks5, server: 127.0.0.1, port: 1080, udp: true}",
            "  - name: h",
            "    type: http",
            "    server: 127.0.0.1",
            "    port: '3128'",
            "    username: u",
            "    password: p",
            "    tls: true",
            "    skip-cert-verify: true",
            "  - name: ss",
            "    type: ss",
            "    server: 127.0.0.1",
            "    port: 8388",
            "    cipher: chacha20-ietf-poly1305",
            "    password: pw",
            "  - {name: tj, type: trojan, server: 127.0.0.1, port: 443, password: pw,"
                + " sni: example.org}",
            "  - name: vm",
            "    type: vmess",
            "    server: 127.0.0.1",
            "    port: 10086",
            "    uuid: b831381d-6324-4d53-ad4f-8cda48b30811",
            "    alterId: 0",
            "    cipher: auto",
            "proxy-groups:",
            "  - name: auto",
            "    type: url-test",
            "    proxies: [s5, h]",
            "    url: http://198.51.100.2/",
            "    interval: 30",
            "    tolerance: 50",
            "  - {name: Proxy, type: select, proxies: [auto, lb, DIRECT]}",
            "  - {name: lb, type: load-balance, proxies: [ss, tj, vm], strategy: round-robin}");
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
  void problemsNameTheEntryAndTheField() {
    List<String> m =
        messages(
            load(
                "proxies:",
                "  - {name: hk1, type: ss, server: 1.2.3.4, port: 8388, cipher: rc4-md5,"
                    + " password: x}",
                "  - {name: p2, type: wireguard, server: a, port: 1}",
                "  - {type: socks5, server: a, port: 1}",
                "  - {name: p4, type: socks5, server: a, port: 70000}",
                "  - {name: DIRECT, type: socks5, server: a, port: 1}",
                "  - {name: v, type: vmess, server: a, port: 1, uuid: nope, alterId: 64,"
                    + " mystery: 1}",
                "  - {name: o, type: ss, server: a, port: 1, cipher: aes-128-gcm, password: x,"
                    + " plugin: obfs}",
                "  - {name: p5, type: sock5, server: a, port: 1}",
                "proxy-groups:",
                "  - {name: g1, type: select, proxies: [g2]}",
                "  - {name: g2, type: fallback, proxies: [g1], url: 'http://x/'}",
                "  - {name: g3, type: url-test, proxies: [nothere]}",
                "  - {name: g4, type: select, proxies: [hk1]}"));
    assertThat(m)
        .contains(
            "proxy \"hk1\": field \"cipher\": expected one of aes-128-gcm, aes-256-gcm,"
                + " chacha20-ietf-poly1305, got \"rc4-md5\"",
            "proxy \"p2\": field \"type\": unavailable: wireguard is not supported by this"
                + " version of Turnout; groups skip this proxy",
            "proxy \"p5\": field \"type\": expected one of socks5, http, ss, trojan, vmess, got"
                + " \"sock5\"",
            "proxy #3: field \"name\": missing; expected a non-empty string",
            "proxy \"p4\": field \"port\": expected a port number 1-65535, got 70000",
            "proxy \"v\": field \"uuid\": expected a UUID like 3f9e2d1c-..., got \"nope\"",
            "proxy \"v\": field \"alterId\": expected 0 (only VMess AEAD is supported)",
            "proxy \"o\": field \"plugin\": unavailable: Shadowsocks plugins are not supported;"
                + " groups skip this proxy",
            "proxy \"v\": field \"mystery\": unknown key, ignored",
            "proxy-group \"g3\": field \"url\": missing; expected a string",
            "proxy-group \"g3\": field \"proxies\": no proxy or group named \"nothere\"",
            "proxy-group \"g4\": field \"proxies\": member \"hk1\" is a proxy with errors");
    assertThat(m).anyMatch(s -> s.startsWith("proxy \"DIRECT\": field \"name\""));
    assertThat(m).anyMatch(s -> s.contains("(a cycle)"));
  }

  @Test
  void proxiesTurnoutCannotSpeakLoadAsUnavailableMembersWithOneWarningEach() throws Exception {
    OutboundConfig.Result r =
        load(
            "proxies:",
            "  - {name: hy, type: hysteria2, server: 192.0.2.1, port: 443, password: x,"
                + " obfs: salamander}",
            "  - {name: ws, type: vmess, server: 192.0.2.2, port: 443, uuid: nope, tls: true,"
                + " network: ws, ws-opts: {path: /v}}",
            "  - {name: ok, type: socks5, server: 192.0.2.3, port: 1080}",
            "proxy-groups:",
            "  - {name: Proxy, type: select, proxies: [hy, ws, ok]}");
    assertThat(r.hasErrors()).as("%s", messages(r)).isFalse();
    assertThat(messages(r))
        .containsExactly(
            "proxy \"hy\": field \"type\": unavailable: hysteria2 is not supported by this"
                + " version of Turnout; groups skip this proxy",
            "proxy \"ws\": field \"ws-opts\": unavailable: only plain TCP transport is"
                + " supported; groups skip this proxy");
    Outbounds o = r.outbounds();
    assertThat(o.proxies()).extracting(Outbound::name).containsExactly("hy", "ws", "ok");
    assertThat(o.get("hy")).isInstanceOf(UnavailableOutbound.class);
    assertThat(o.get("hy").type()).isEqualTo("hysteria2");
    assertThat(((Group) o.get("Proxy")).now()).isEqualTo("ok");
    var loop = new io.netty.channel.DefaultEventLoop();
    try {
      var failed = o.get("ws").connect(new Destination("example.org", null, 443), loop).await();
      assertThat(failed.cause())
          .hasMessage("proxy ws is unavailable: only plain TCP transport is supported");
    } finally {
      loop.shutdownGracefully().sync();
    }
  }

  @Test
  void aRelayGroupIsAnUnavailableMemberOfTheGroupsThatNameIt() {
    OutboundConfig.Result r =
        load(
            "proxies:",
            "  - {name: a, type: socks5, server: 192.0.2.1, port: 1080}",
            "proxy-groups:",
            "  - {name: Chain, type: relay, proxies: [a, DIRECT]}",
            "  - {name: Proxy, type: select, proxies: [Chain, a]}");
    assertThat(messages(r))
        .containsExactly(
            "proxy-group \"Chain\": field \"type\": unavailable: relay groups (chains of proxies)"
                + " are not supported; groups skip it");
    assertThat(r.outbounds().get("Chain")).isInstanceOf(UnavailableOutbound.class);
    assertThat(((Group) r.outbounds().get("Proxy")).now()).isEqualTo("a");
  }

  @Test
  void stickySessionsLoadBalanceByDestination() {
    OutboundConfig.Result r =
        load(
            "proxies:",
            "  - {name: a, type: socks5, server: 192.0.2.1, port: 1080}",
            "proxy-groups:",
            "  - {name: LB, type: load-balance, proxies: [a, DIRECT], strategy: sticky-sessions}");
    assertThat(r.hasErrors()).isFalse();
    assertThat(messages(r))
        .containsExactly(
            "proxy-group \"LB\": field \"strategy\": sticky-sessions is served by"
                + " consistent-hashing: each destination stays on one member");
  }

  @Test
  void problemsCarryTheIndexForTheLauncher() {
    var r = load("proxies:", "  - {name: x, type: socks5, port: 1}");
    assertThat(r.hasErrors()).isTrue();
    ConfigProblem p = r.problems().get(0);
    assertThat(p.index()).isZero();
    assertThat(p.section().key()).isEqualTo("proxies");
    assertThat(p.field()).isEqualTo("server");
  }

  @Test
  void problemsNameTheLineOfTheOffendingKeyNotOfTheEntry() {
    var r =
        load(
            "proxies:",
            "  - name: hk1",
            "    type: ss",
            "    server: 192.0.2.10",
            "    port: 8388",
            "    cipher: rc4-md5",
            "    password: x",
            "  - name: missing-server",
            "    type: socks5",
            "    port: 1080");
    assertThat(r.problems())
        .extracting(p -> p.field() + "@" + p.file() + ":" + p.line())
        .containsExactly("cipher@test.yaml:6", "server@test.yaml:8");
  }

  @Test
  void namesAndPasswordsAreTheTextWrittenAsClashReadsThem() {
    var r =
        load(
            "proxies:",
            "  - {name: NO, type: socks5, server: 192.0.2.1, port: 1080, username: on,"
                + " password: off}",
            "  - {name: 0755, type: socks5, server: 192.0.2.1, port: 0x438}",
            "proxy-groups:",
            "  - {name: yes, type: select, proxies: [NO, 0755]}");
    assertThat(messages(r)).isEmpty();
    assertThat(r.outbounds().asMap()).containsKeys("NO", "0755", "yes");
    Fields no =
        new Fields(
            ConfigProblem.Section.PROXIES,
            0,
            Entries.parse("proxies", "proxies:", "  - {name: NO, username: on, password: off}")
                .get(0),
            new java.util.ArrayList<>());
    assertThat(no.name()).isEqualTo("NO");
    assertThat(no.string("username", false)).isEqualTo("on");
    assertThat(no.string("password", false)).isEqualTo("off"); // not "false", as YAML 1.1 made it
  }

  @Test
  void mergeKeysFillEntriesAndTheirProblemsNameTheAnchoredLine() {
    var r =
        load(
            "base: &base",
            "  type: ss",
            "  server: 192.0.2.1",
            "  cipher: rc4-md5",
            "  password: pw",
            "proxies:",
            "  - {<<: *base, name: a, port: 8388, cipher: aes-128-gcm}",
            "  - {<<: *base, name: b, port: 8389}");
    assertThat(r.outbounds().asMap()).containsKey("a").doesNotContainKey("b");
    assertThat(r.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.name()).isEqualTo("b");
              assertThat(p.field()).isEqualTo("cipher");
              assertThat(p.line()).isEqualTo(4);
            });
  }

  @Test
  void entriesOfAnyShapeBuildNothingAndSayWhy() {
    List<YamlMapping> none = List.of();
    var r =
        OutboundConfig.load(
            Entries.parse(
                "proxies", "proxies:", "  - {name: a, type: socks5, server: s, port: [1]}"),
            none,
            Channels.loopbackDialer(),
            new SelectionStore(dir),
            new Fakes.Prober(),
            new Fakes.Scheduler(clock),
            clock);
    assertThat(messages(r))
        .containsExactly("proxy \"a\": field \"port\": expected a port number 1-65535, got a list");
  }
}
