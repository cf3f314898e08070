package dev.turnout.outbound.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.config.KeyPolicy;
import dev.turnout.config.YamlMapping;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.ManualTimeSource;
import dev.turnout.outbound.Channels;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.DirectOutbound;
import dev.turnout.outbound.DnsOutbound;
import dev.turnout.outbound.Entries;
import dev.turnout.outbound.FakeServer;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UnavailableOutbound;
import dev.turnout.outbound.group.Fakes;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.GroupLook;
import dev.turnout.outbound.group.SelectionStore;
import io.netty.channel.Channel;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  /**
   * mihomo's group keys for the dashboards ({@code hidden}, {@code icon}), {@code max-failed-times}
   * and {@code disable-udp} load without a warning; a bad value is an error on its line.
   */
  @Test
  void groupsTakeHiddenIconMaxFailedTimesAndDisableUdp() {
    OutboundConfig.Result r =
        load(
            "proxy-groups:",
            "  - {name: Quiet, type: select, proxies: [DIRECT], hidden: true, disable-udp: true}",
            "  - name: Auto",
            "    type: fallback",
            "    proxies: [DIRECT]",
            "    url: http://198.51.100.9/",
            "    icon: https://198.51.100.9/auto.png",
            "    max-failed-times: 2",
            "  - {name: Plain, type: select, proxies: [DIRECT]}",
            "  - {name: Bad, type: url-test, proxies: [DIRECT], url: 'http://198.51.100.9/',"
                + " max-failed-times: -1}");
    assertThat(messages(r))
        .singleElement()
        .asString()
        .startsWith("proxy-group \"Bad\": field \"max-failed-times\"");
    assertThat(r.hasErrors()).isTrue();
    assertThat(r.problems().get(0).line()).isEqualTo(10);
    var o = r.outbounds();
    assertThat(o.look("Quiet")).isEqualTo(new GroupLook(true, ""));
    assertThat(((Group) o.get("Quiet")).udpDisabled()).isTrue();
    assertThat(((Group) o.get("Auto")).udpDisabled()).isFalse();
    assertThat(o.look("Auto")).isEqualTo(new GroupLook(false, "https://198.51.100.9/auto.png"));
    assertThat(o.look("Plain")).isEqualTo(GroupLook.PLAIN);
    assertThat(o.look("DIRECT")).isEqualTo(GroupLook.PLAIN);
  }

  /**
   * mihomo's {@code type: direct}: a named DIRECT, which may leave by an interface of its own
   * (SO_BINDTODEVICE, checked by the kernel: bound to lo it reaches a server on 127.0.0.1, bound to
   * an interface that does not exist it cannot dial). A routing mark of its own makes it
   * unavailable; dial keys Turnout does not use are warned about as ignored.
   */
  @Test
  void directProxiesDialThroughTheirOwnInterface() throws Exception {
    OutboundConfig.Result r =
        load(
            "proxies:",
            "  - {name: plain, type: direct, udp: true, tfo: true}",
            "  - {name: on-lo, type: direct, interface-name: lo}",
            "  - {name: on-none, type: direct, interface-name: tnt-none0}",
            "  - {name: marked, type: direct, routing-mark: 1234}",
            "  - {name: s5, type: socks5, server: 127.0.0.1, port: 1080, interface-name: lo}",
            "proxy-groups:",
            "  - {name: Exits, type: select, proxies: [on-lo, plain, marked]}");
    assertThat(messages(r))
        .containsExactly(
            "proxy \"plain\": field \"tfo\": accepted and ignored: TCP Fast Open is not used",
            "proxy \"marked\": field \"routing-mark\": unavailable: a routing mark of its own is"
                + " not supported: Turnout's sockets all carry the top-level routing-mark, which"
                + " auto-route keeps out of the TUN; groups skip this proxy");
    var o = r.outbounds();
    assertThat(o.get("plain")).isInstanceOf(DirectOutbound.class);
    assertThat(((DirectOutbound) o.get("plain")).kernelMayForward()).isTrue();
    assertThat(((DirectOutbound) o.get("on-lo")).kernelMayForward())
        .as("forwarding would not follow its interface")
        .isFalse();
    assertThat(o.get("on-lo").name()).isEqualTo("on-lo");
    assertThat(o.get("marked")).isInstanceOf(UnavailableOutbound.class);
    try (FakeServer server = new FakeServer((in, out) -> out.write('x'))) {
      Destination local =
          new Destination(null, java.net.InetAddress.getLoopbackAddress(), server.port());
      Channel ch = o.get("on-lo").connect(local, Channels.loop()).get(5, TimeUnit.SECONDS);
      assertThat(Channels.readAll(ch).toCompletableFuture().get(5, TimeUnit.SECONDS))
          .containsExactly('x');
      ch.close();
      assertThatThrownBy(
              () -> o.get("on-none").connect(local, Channels.loop()).get(5, TimeUnit.SECONDS))
          .hasMessageContaining("tnt-none0");
    }
  }

  /**
   * {@link KeyPolicy#PROXY} lists the proxy keys Turnout accepts without using: none may be read
   * (its reason would be shown nowhere), so each, written with a value, is reported with its
   * reason.
   */
  @Test
  void everyListedProxyKeyIsReportedWithItsReason() {
    for (String key : KeyPolicy.PROXY.listedKeys()) {
      OutboundConfig.Result r =
          load(
              "proxies:",
              "  - {name: s5, type: socks5, server: 127.0.0.1, port: 1080, " + key + ": 1}");
      assertThat(messages(r))
          .as(key)
          .containsExactly(
              "proxy \"s5\": field \"" + key + "\": " + KeyPolicy.PROXY.message(key, List.of()));
    }
  }

  /**
   * A group's own interface-name or routing-mark (mihomo's, deprecated there, as in its reference
   * config) would send its members' connections out of another interface than written: the group
   * loads as unavailable, with the reason, so that the groups and rules that name it still load,
   * and its connections fail rather than leave by the default route. Written without effect (empty,
   * or the top-level mark) they are fine.
   */
  @Test
  void aGroupWithItsOwnInterfaceOrMarkIsUnavailable() throws Exception {
    OutboundConfig.Result r =
        load(
            "proxy-groups:",
            "  - {name: en1, type: select, interface-name: en1, proxies: [DIRECT]}",
            "  - {name: marked, type: select, routing-mark: 6667, proxies: [DIRECT]}",
            "  - {name: plain, type: select, interface-name: '', routing-mark: 0, proxies: [DIRECT]}",
            "  - {name: outer, type: select, proxies: [en1, marked, plain]}");
    assertThat(messages(r))
        .containsExactly(
            "proxy-group \"en1\": field \"interface-name\": unavailable: a group's own"
                + " interface-name is not supported (mihomo deprecates it): set interface-name on"
                + " its proxies; groups skip it",
            "proxy-group \"marked\": field \"routing-mark\": unavailable: a group's own"
                + " routing-mark is not supported (mihomo deprecates it): Turnout's sockets all"
                + " carry the top-level routing-mark; groups skip it");
    var o = r.outbounds();
    assertThat(o.get("en1")).isInstanceOf(UnavailableOutbound.class);
    assertThat(o.get("marked")).isInstanceOf(UnavailableOutbound.class);
    assertThat(o.get("plain")).isInstanceOf(Group.class);
    assertThat(((Group) o.get("outer")).members()).containsExactly("en1", "marked", "plain");
    assertThat(o.get("en1").connect(Channels.TARGET, Channels.loop()).await().cause())
        .hasMessageContaining("unavailable");
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
    // The one warning: skip-cert-verify is on for h.
    assertThat(messages(r)).singleElement().asString().contains("skip-cert-verify is on");
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
                "  - {name: p2, type: hysteria2, server: a, port: 1}",
                "  - {type: socks5, server: a, port: 1}",
                "  - {name: p4, type: socks5, server: a, port: 70000}",
                "  - {name: DIRECT, type: socks5, server: a, port: 1}",
                "  - {name: v, type: vmess, server: a, port: 1, uuid: nope, alterId: 64,"
                    + " authenticated-length: true}",
                "  - {name: o, type: ss, server: a, port: 1, cipher: aes-128-gcm, password: x,"
                    + " plugin: obfs, mystery: 1}",
                "  - {name: p5, type: sock5, server: a, port: 1}",
                "proxy-groups:",
                "  - {name: g1, type: select, proxies: [g2]}",
                "  - {name: g2, type: fallback, proxies: [g1], url: 'http://x/'}",
                "  - {name: g3, type: url-test, proxies: [nothere]}",
                "  - {name: g4, type: select, proxies: [hk1]}"));
    assertThat(m)
        .contains(
            "proxy \"hk1\": field \"cipher\": unavailable: stream cipher rc4-md5 is not supported"
                + " (no integrity); groups skip this proxy",
            "proxy \"p2\": field \"type\": unavailable: hysteria2 is not supported by this"
                + " version of Turnout; groups skip this proxy",
            "proxy \"p5\": field \"type\": expected one of socks5, http, ss, trojan, vmess, vless,"
                + " wireguard, ssh, got \"sock5\"",
            "proxy #3: field \"name\": missing; expected a non-empty string",
            "proxy \"p4\": field \"port\": expected a port number 1-65535, got 70000",
            "proxy \"v\": field \"uuid\": expected a UUID like 3f9e2d1c-..., got \"nope\"",
            "proxy \"v\": field \"authenticated-length\": unavailable: authenticated chunk lengths"
                + " are not supported; groups skip this proxy",
            "proxy \"o\": field \"plugin-opts.mode\": missing; expected one of http, tls",
            "proxy \"o\": field \"mystery\": unknown key, ignored",
            "proxy-group \"g3\": field \"url\": missing; expected a string",
            "proxy-group \"g3\": field \"proxies\": no proxy or group named \"nothere\"");
    assertThat(m).anyMatch(s -> s.startsWith("proxy \"DIRECT\": field \"name\""));
    assertThat(m).anyMatch(s -> s.contains("(a cycle)"));
  }

  @Test
  void dialerProxiesAndRelaysAreCheckedForNamesCyclesAndMembers() {
    List<String> m =
        messages(
            load(
                "proxies:",
                "  - {name: a, type: socks5, server: 127.0.0.1, port: 1, dialer-proxy: b}",
                "  - {name: b, type: socks5, server: 127.0.0.1, port: 2, dialer-proxy: a}",
                "  - {name: c, type: socks5, server: 127.0.0.1, port: 3, dialer-proxy: nobody}",
                "  - {name: d, type: socks5, server: 127.0.0.1, port: 4, dialer-proxy: g}",
                "  - {name: e, type: socks5, server: 127.0.0.1, port: 5, dialer-proxy: f}",
                "  - {name: f, type: socks5, server: 127.0.0.1, port: 6}",
                "proxy-groups:",
                "  - {name: g, type: select, proxies: [d, f]}",
                "  - {name: r, type: relay, proxies: [f, DIRECT]}",
                "  - {name: ok, type: relay, proxies: [g, f, e]}"));
    assertThat(m)
        .contains(
            "proxy \"a\": field \"dialer-proxy\": \"b\" leads back to this proxy (a cycle)",
            "proxy \"c\": field \"dialer-proxy\": no proxy or group named \"nobody\"",
            "proxy \"d\": field \"dialer-proxy\": \"g\" leads back to this proxy (a cycle)",
            "proxy-group \"r\": field \"proxies\": member \"DIRECT\" cannot be reached through"
                + " another: after the first, relay members must be proxies (not groups, DIRECT or"
                + " REJECT)");
    assertThat(m).noneMatch(s -> s.startsWith("proxy \"e\"") || s.contains("\"ok\""));
  }

  @Test
  void proxiesTurnoutCannotSpeakLoadAsUnavailableMembersWithOneWarningEach() throws Exception {
    OutboundConfig.Result r =
        load(
            "proxies:",
            "  - {name: hy, type: hysteria2, server: 192.0.2.1, port: 443, password: x,"
                + " obfs: salamander}",
            "  - {name: ws, type: tuic, server: 192.0.2.2, port: 443, uuid: nope}",
            "  - {name: ok, type: socks5, server: 192.0.2.3, port: 1080}",
            "proxy-groups:",
            "  - {name: Proxy, type: select, proxies: [hy, ws, ok]}");
    assertThat(r.hasErrors()).as("%s", messages(r)).isFalse();
    assertThat(messages(r))
        .containsExactly(
            "proxy \"hy\": field \"type\": unavailable: hysteria2 is not supported by this"
                + " version of Turnout; groups skip this proxy",
            "proxy \"ws\": field \"type\": unavailable: tuic is not supported by this"
                + " version of Turnout; groups skip this proxy");
    Outbounds o = r.outbounds();
    assertThat(o.proxies()).extracting(Outbound::name).containsExactly("hy", "ws", "ok");
    assertThat(o.get("hy")).isInstanceOf(UnavailableOutbound.class);
    assertThat(o.get("hy").type()).isEqualTo("hysteria2");
    assertThat(((Group) o.get("Proxy")).now()).isEqualTo("ok");
    var loop = new io.netty.channel.DefaultEventLoop();
    try {
      var failed = o.get("ws").connect(new Destination("example.org", null, 443), loop).await();
      assertThat(failed.cause())
          .hasMessage("proxy ws is unavailable: tuic is not supported by this version of Turnout");
    } finally {
      loop.shutdownGracefully().sync();
    }
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
            "    cipher: rc5-mdx",
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
            "  cipher: rc5-mdx",
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

  /**
   * mihomo's {@code type: dns} sends to Turnout's own DNS server: where it listens when it runs; an
   * unavailable member, with the reason, when it does not.
   */
  @Test
  void dnsProxiesSendToTurnoutsOwnDnsServerWhenItRuns() {
    InetSocketAddress server = new InetSocketAddress(IpLiterals.parse("198.18.0.1"), 53);
    String[] yaml = {
      "proxies:",
      "  - {name: dns-out, type: dns, udp: true, mystery: 1}",
      "proxy-groups:",
      "  - {name: Dns, type: select, proxies: [dns-out, DIRECT]}"
    };
    OutboundConfig.Result on =
        OutboundConfig.load(
            Entries.parse("proxies", yaml),
            Entries.parse("proxy-groups", yaml),
            List.of(),
            null,
            Channels.loopbackDialer(),
            new SelectionStore(dir),
            new Fakes.Prober(),
            new Fakes.Scheduler(clock),
            clock,
            server);
    assertThat(messages(on))
        .containsExactly("proxy \"dns-out\": field \"mystery\": unknown key, ignored");
    assertThat(on.outbounds().get("dns-out")).isInstanceOf(DnsOutbound.class);
    assertThat(((DnsOutbound) on.outbounds().get("dns-out")).server()).isEqualTo(server);
    assertThat(on.outbounds().get("dns-out").type()).isEqualTo("Dns");

    OutboundConfig.Result off = load(yaml);
    assertThat(off.outbounds().get("dns-out")).isInstanceOf(UnavailableOutbound.class);
    assertThat(messages(off))
        .contains(
            "proxy \"dns-out\": field \"type\": unavailable: a dns proxy needs Turnout's DNS"
                + " server, which is off (dns.enable: false); groups skip this proxy");
  }

  /** Issue 14, defect 6: skip-cert-verify is said once, however many proxies set it. */
  @Test
  void skipCertVerifyIsWarnedOnceForAllProxiesThatSetIt() {
    OutboundConfig.Result r =
        load(
            "proxies:",
            "  - {name: h, type: http, server: 127.0.0.1, port: 3128, tls: true,"
                + " skip-cert-verify: true}",
            "  - {name: t1, type: trojan, server: 127.0.0.1, port: 443, password: pw,"
                + " skip-cert-verify: true}",
            "  - {name: t2, type: trojan, server: 127.0.0.1, port: 443, password: pw,"
                + " skip-cert-verify: true}");
    assertThat(messages(r).stream().filter(m -> m.contains("skip-cert-verify is on"))).hasSize(1);
  }
}
