package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.config.Problem;
import dev.turnout.config.Problems;
import dev.turnout.inbound.Authentication;
import dev.turnout.inbound.ListenerSpec;
import dev.turnout.netbase.IpLiterals;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The inbound keys as mihomo reads them, and what Turnout says about the rest. */
class InboundSettingsTest {
  private static final String DNS = "dns:\n  nameserver: [192.0.2.1]\n";

  private final Problems problems = new Problems("test.yaml");

  private TurnoutConfig read(String yaml) {
    return ConfigLoader.read("test.yaml", Path.of("test.yaml"), DNS + yaml, problems);
  }

  private List<ListenerSpec> listeners(String yaml) {
    return read(yaml).inbound().listeners();
  }

  private List<String> messages() {
    return problems.sorted().stream().map(Problem::toString).toList();
  }

  @Test
  void noPortsNoListeners() {
    assertThat(listeners("")).isEmpty();
    assertThat(problems.isEmpty()).isTrue();
  }

  @Test
  void theTopLevelPortsListenOnLoopbackWithMihomosNames() {
    List<ListenerSpec> specs = listeners("mixed-port: 7890\nport: 7891\nsocks-port: 7892\n");
    assertThat(specs)
        .extracting(ListenerSpec::toString)
        .containsExactly(
            "DEFAULT-MIXED (mixed) on 127.0.0.1:7890",
            "DEFAULT-HTTP (http) on 127.0.0.1:7891",
            "DEFAULT-SOCKS (socks) on 127.0.0.1:7892");
    assertThat(specs).extracting(ListenerSpec::udp).containsExactly(true, false, true);
    assertThat(specs).noneMatch(ListenerSpec::exposed);
    assertThat(problems.isEmpty()).as("%s", messages()).isTrue();
  }

  @Test
  void allowLanBindsBindAddressOrEveryAddress() {
    assertThat(listeners("allow-lan: true\nmixed-port: 7890\n").get(0).address())
        .isEqualTo("[::]:7890");
    assertThat(
            listeners("allow-lan: true\nbind-address: \"*\"\nmixed-port: 7890\n").get(0).exposed())
        .isTrue();
    assertThat(
            listeners("allow-lan: true\nbind-address: 198.51.100.1\nmixed-port: 7890\n")
                .get(0)
                .address())
        .isEqualTo("198.51.100.1:7890");
    assertThat(
            listeners("allow-lan: true\nbind-address: \"[2001:db8::1]\"\nport: 8080\n")
                .get(0)
                .address())
        .isEqualTo("[2001:db8::1]:8080");
    assertThat(listeners("bind-address: 198.51.100.1\nmixed-port: 7890\n").get(0).address())
        .as("without allow-lan, as in mihomo")
        .isEqualTo("127.0.0.1:7890");
    assertThat(problems.isEmpty()).as("%s", messages()).isTrue();
    read("allow-lan: true\nbind-address: lan.example\nmixed-port: 7890\n");
    assertThat(messages())
        .containsExactly(
            "test.yaml:4: bind-address: expected * or an IP address, got \"lan.example\"");
  }

  @Test
  void authenticationAndItsExceptions() {
    ListenerSpec spec =
        listeners(
                String.join(
                    "\n",
                    "mixed-port: 7890",
                    "authentication: [\"alice:se:cret\", \"bob:\"]",
                    "skip-auth-prefixes: [127.0.0.1/8]",
                    ""))
            .get(0);
    Authentication auth = spec.authentication();
    assertThat(auth.verify("alice", "se:cret")).isTrue();
    assertThat(auth.verify("bob", "")).isTrue();
    assertThat(auth.requiredFor(IpLiterals.parse("127.0.0.1"))).isFalse();
    assertThat(auth.requiredFor(IpLiterals.parse("198.51.100.7"))).isTrue();
    read("mixed-port: 7890\nauthentication: [alice]\nskip-auth-prefixes: [not-a-prefix]\n");
    assertThat(messages())
        .containsExactly(
            "test.yaml:4: authentication: expected \"user:password\", got \"alice\"",
            "test.yaml:5: skip-auth-prefixes: expected ADDRESS/LENGTH such as 198.18.0.0/15 or"
                + " 2001:db8::/32, got \"not-a-prefix\"");
  }

  @Test
  void lanListsChooseTheClientsOfTheTopLevelPorts() {
    ListenerSpec spec =
        listeners(
                String.join(
                    "\n",
                    "allow-lan: true",
                    "mixed-port: 7890",
                    "lan-allowed-ips: [198.51.100.0/24]",
                    "lan-disallowed-ips: [198.51.100.66/32]",
                    ""))
            .get(0);
    assertThat(spec.filter().admits(IpLiterals.parse("198.51.100.65"))).isTrue();
    assertThat(spec.filter().admits(IpLiterals.parse("198.51.100.66"))).isFalse();
    assertThat(spec.filter().admits(IpLiterals.parse("203.0.113.9"))).isFalse();
    ListenerSpec onlyDisallowed =
        listeners("allow-lan: true\nmixed-port: 7890\nlan-disallowed-ips: [198.51.100.66/32]\n")
            .get(0);
    assertThat(onlyDisallowed.filter().admits(IpLiterals.parse("203.0.113.9"))).isTrue();
    assertThat(onlyDisallowed.filter().admits(IpLiterals.parse("198.51.100.66"))).isFalse();
  }

  @Test
  void listenersEntries() {
    List<ListenerSpec> specs =
        listeners(
            String.join(
                "\n",
                "authentication: [\"alice:secret\"]",
                "listeners:",
                "  - {name: mixed-in, type: mixed, port: 7892, listen: 198.51.100.1, udp: true,"
                    + " users: [{username: bob, password: pw}]}",
                "  - {name: open-in, type: socks, port: \"7000-7001,7005\", users: []}",
                "  - {name: http-in, type: http, port: 8080, proxy: dante}",
                "  - {name: global-in, type: socks, port: 1080}",
                ""));
    assertThat(specs)
        .extracting(ListenerSpec::toString)
        .containsExactly(
            "mixed-in (mixed) on 198.51.100.1:7892",
            "open-in (socks) on 127.0.0.1:7000",
            "open-in (socks) on 127.0.0.1:7001",
            "open-in (socks) on 127.0.0.1:7005",
            "http-in (http) on 127.0.0.1:8080",
            "global-in (socks) on 127.0.0.1:1080");
    assertThat(specs.get(0).udp()).isTrue();
    assertThat(specs.get(0).authentication().verify("bob", "pw")).isTrue();
    assertThat(specs.get(0).authentication().verify("alice", "secret")).isFalse();
    assertThat(specs.get(1).authentication().enabled()).as("users: [] means no login").isFalse();
    assertThat(specs.get(4).proxy()).isEqualTo("dante");
    assertThat(specs.get(5).authentication().verify("alice", "secret"))
        .as("no users: the global authentication")
        .isTrue();
    assertThat(read("").inbound().proxies()).isEmpty();
    assertThat(problems.isEmpty()).as("%s", messages()).isTrue();
  }

  @Test
  void aListenerWithAProxyIsCheckedWhereItIsWritten() {
    TurnoutConfig config =
        read("listeners:\n  - name: in\n    type: mixed\n    port: 7892\n    proxy: nowhere\n");
    assertThat(config.inbound().proxies())
        .containsExactly(
            new InboundSettings.ProxyRef(
                "in", "nowhere", "test.yaml", 7, "listeners[0].proxy", false));
  }

  @Test
  void whatTurnoutDoesNotServeIsSkippedWithAWarning() {
    List<ListenerSpec> specs =
        listeners(
            String.join(
                "\n",
                "",
                "inbound-tfo: true",
                "listeners:",
                "  - {name: vm-in, type: tuic, port: 10000}",
                "  - {name: tls-in, type: mixed, port: 7894, certificate: ./c.crt, private-key: ./c.key}",
                "  - {name: sub-in, type: socks, port: 7895, rule: sub-rule-1, sniff: true}",
                "  - {name: web-in, type: http, port: 7896, udp: true}",
                ""));
    assertThat(specs).extracting(ListenerSpec::name).containsExactly("sub-in", "web-in");
    assertThat(specs.get(1).udp()).isFalse();
    assertThat(problems.hasErrors()).as("%s", messages()).isFalse();
    List<String> messages = new java.util.ArrayList<>(messages());
    String tls =
        messages.stream().filter(m -> m.startsWith("test.yaml:7:")).findFirst().orElseThrow();
    messages.remove(tls);
    assertThat(tls)
        .startsWith(
            "test.yaml:7: warning: listeners[1].certificate: listener tls-in: cannot read ./c.crt")
        .endsWith("; skipped");
    assertThat(messages)
        .containsExactlyInAnyOrder(
            "test.yaml:4: warning: inbound-tfo: not supported: the listeners use plain TCP",
            "test.yaml:6: warning: listeners[0].type: listener vm-in: type \"tuic\" is not"
                + " supported (mixed, http, socks, tunnel, redir, tproxy, shadowsocks, trojan,"
                + " vless, vmess are); skipped",
            "test.yaml:8: warning: listeners[2].sniff: unknown key, ignored",
            "test.yaml:8: warning: listeners[2].rule: listener sub-in: sub-rules per listener are"
                + " not supported; its connections follow rules:",
            "test.yaml:9: warning: listeners[3].udp: listener web-in: an HTTP or redir listener"
                + " carries no UDP (tproxy does)");
  }

  /**
   * redir-port and tproxy-port, and listeners of those types: on loopback unless allow-lan, with
   * UDP on tproxy (mihomo's default) and never on redir; socks and mixed entries carry UDP unless
   * udp: false, as mihomo's do.
   */
  @Test
  void redirAndTproxyListenLikeTheOtherPorts() {
    List<ListenerSpec> specs =
        listeners(
            String.join(
                "\n",
                "redir-port: 7892",
                "tproxy-port: 7893",
                "listeners:",
                "  - {name: r, type: redir, port: 7894, listen: 0.0.0.0}",
                "  - {name: t, type: tproxy, port: 7895, udp: false}",
                "  - {name: s, type: socks, port: 7896}",
                "  - {name: m, type: mixed, port: 7897, udp: false}",
                "  - {name: r2, type: redir, port: 7898, udp: true}",
                ""));
    assertThat(specs)
        .extracting(ListenerSpec::toString)
        .containsExactly(
            "DEFAULT-REDIR (redir) on 127.0.0.1:7892",
            "DEFAULT-TPROXY (tproxy) on 127.0.0.1:7893",
            "r (redir) on 0.0.0.0:7894",
            "t (tproxy) on 127.0.0.1:7895",
            "s (socks) on 127.0.0.1:7896",
            "m (mixed) on 127.0.0.1:7897",
            "r2 (redir) on 127.0.0.1:7898");
    assertThat(specs)
        .extracting(ListenerSpec::udp)
        .containsExactly(false, true, false, false, true, false, false);
    assertThat(specs.get(2).exposed()).isTrue();
    assertThat(specs.get(2).kind().transparent()).as("no open proxy").isTrue();
    assertThat(messages())
        .containsExactly(
            "test.yaml:10: warning: listeners[4].udp: listener r2: an HTTP or redir listener"
                + " carries no UDP (tproxy does)");
  }

  /**
   * listeners: of type shadowsocks: an AEAD cipher and a password make one (TCP); an unknown or
   * stream cipher, or no password, skips it with a warning, as does asking for UDP.
   */
  @Test
  void shadowsocksListenersNeedAnAeadCipherAndAPassword() {
    List<ListenerSpec> specs =
        listeners(
            String.join(
                "\n",
                "listeners:",
                "  - {name: ss-in, type: shadowsocks, port: 7920, cipher: aes-256-gcm,"
                    + " password: secret, udp: true}",
                "  - {name: ss-old, type: shadowsocks, port: 7921, cipher: rc4-md5, password: x}",
                "  - {name: ss-open, type: shadowsocks, port: 7922, cipher: aes-128-gcm}",
                ""));
    assertThat(specs)
        .extracting(ListenerSpec::toString)
        .containsExactly("ss-in (shadowsocks) on 127.0.0.1:7920");
    assertThat(specs.get(0).udp()).as("udp: true is carried").isTrue();
    assertThat(specs.get(0).shadowsocks()).hasToString("Shadowsocks aes-256-gcm");
    assertThat(specs.get(0).kind().openWithoutUsers())
        .as("the password is its credential")
        .isFalse();
    assertThat(messages())
        .containsExactly(
            "test.yaml:5: warning: listeners[1].cipher: listener ss-old: cipher rc4-md5 is not one"
                + " of "
                + String.join(", ", dev.turnout.outbound.shadowsocks.SsServerCodec.CIPHERS)
                + "; skipped",
            "test.yaml:6: warning: listeners[2].password: listener ss-open: a Shadowsocks listener"
                + " needs a password; skipped");
  }

  /**
   * mihomo's ss-config: a Shadowsocks listener named DEFAULT-SHADOWSOCKS, its user part plain or
   * base64, an empty host where the top-level ports listen; what cannot be read starts none.
   */
  @Test
  void ssConfigIsAShadowsocksListener() {
    assertThat(listeners("ss-config: ss://aes-128-gcm:secret@:7930\n"))
        .extracting(ListenerSpec::toString)
        .containsExactly("DEFAULT-SHADOWSOCKS (shadowsocks) on 127.0.0.1:7930");
    assertThat(listeners("ss-config: ss://aes-128-gcm:secret@:7930\n").get(0).udp())
        .as("TCP and UDP, as mihomo's")
        .isTrue();
    String base64 =
        java.util.Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString("chacha20-ietf-poly1305:p@ss:word".getBytes());
    assertThat(listeners("allow-lan: true\nss-config: ss://" + base64 + "@:7931\n"))
        .extracting(ListenerSpec::toString)
        .containsExactly("DEFAULT-SHADOWSOCKS (shadowsocks) on [::]:7931");
    assertThat(listeners("ss-config: \"ss://aes-256-gcm:x@[::1]:7932\"\n"))
        .extracting(ListenerSpec::address)
        .containsExactly("[::1]:7932");
    assertThat(problems.isEmpty()).as("%s", messages()).isTrue();
    assertThat(listeners("ss-config: ss://aes-128-gcm:secret@:0\n")).isEmpty();
    assertThat(listeners("ss-config: ss://rc4-md5:secret@:7933\n")).isEmpty();
    assertThat(listeners("ss-config: vmess://x@:7934\n")).isEmpty();
    assertThat(messages())
        .hasSize(3)
        .allMatch(
            m -> m.contains("ss-config: ") && m.endsWith("no Shadowsocks listener is started"))
        .noneMatch(m -> m.contains("secret"));
  }

  @Test
  void namesAndPortsMustNotCollide() {
    read(
        String.join(
            "\n",
            "mixed-port: 7890",
            "listeners:",
            "  - {name: a, type: mixed, port: 7890}",
            "  - {name: b, type: mixed, port: 7900}",
            "  - {name: b, type: socks, port: 7901}",
            "  - {type: socks, port: 7902}",
            "  - {name: c, type: http, port: 0}",
            ""));
    assertThat(problems.errorCount()).as("%s", messages()).isEqualTo(4);
    assertThat(messages())
        .anyMatch(m -> m.contains("a and DEFAULT-MIXED both listen on port 7890"))
        .anyMatch(m -> m.startsWith("test.yaml:7: listeners: two listeners are named b"))
        .anyMatch(m -> m.startsWith("test.yaml:8: listeners[3].name: every listener needs a name"))
        .anyMatch(m -> m.startsWith("test.yaml:9: listeners[4].port: expected a port or a range"));
  }

  /**
   * mihomo's tunnels, in both forms, and listeners of type tunnel: TCP to the address goes to the
   * target, through the proxy or by the rules, and UDP too where network says so; unreadable
   * entries are skipped with a warning.
   */
  @Test
  void tunnelsForwardALocalPortToTheirTarget() {
    TurnoutConfig config =
        read(
            String.join(
                "\n",
                "tunnels:",
                "  - tcp/udp,127.0.0.1:6553,203.0.113.53:53,Proxy",
                "  - tcp,127.0.0.1:6554,www.example.test:80",
                "  - network: [tcp]",
                "    address: \"[::1]:7777\"",
                "    target: \"[2001:db8::1]:443\"",
                "    proxy: DIRECT",
                "  - udp,127.0.0.1:6555,203.0.113.53:53",
                "  - tcp,127.0.0.1:6556,no port here",
                "  - tcp,localhost:6557,203.0.113.53:53",
                "listeners:",
                "  - {name: fwd, type: tunnel, port: 6560, target: 203.0.113.10:80, network: tcp}",
                "  - {name: nowhere, type: tunnel, port: 6561}",
                "proxies:",
                "  - {name: Proxy, type: socks5, server: 127.0.0.1, port: 1080}",
                ""));
    List<ListenerSpec> specs = config.inbound().listeners();
    assertThat(specs)
        .extracting(s -> s + " -> " + s.target() + " via " + s.proxy())
        .containsExactlyInAnyOrder(
            "DEFAULT-TUNNEL (tunnel) on 127.0.0.1:6553 -> 203.0.113.53:53 via Proxy",
            "DEFAULT-TUNNEL (tunnel) on 127.0.0.1:6554 -> www.example.test:80 via null",
            "DEFAULT-TUNNEL (tunnel) on [::1]:7777 -> [2001:db8::1]:443 via DIRECT",
            "DEFAULT-TUNNEL (tunnel) on 127.0.0.1:6555 -> 203.0.113.53:53 via null",
            "fwd (tunnel) on 127.0.0.1:6560 -> 203.0.113.10:80 via null");
    assertThat(specs)
        .extracting(s -> s.bind().getPort() + (s.tcp() ? " tcp" : "") + (s.udp() ? " udp" : ""))
        .containsExactlyInAnyOrder("6553 tcp udp", "6554 tcp", "7777 tcp", "6555 udp", "6560 tcp");
    assertThat(config.inbound().proxies())
        .extracting(InboundSettings.ProxyRef::proxy)
        .containsExactlyInAnyOrder("Proxy", "DIRECT");
    assertThat(messages())
        .noneMatch(m -> m.contains("UDP"))
        .anyMatch(m -> m.startsWith("test.yaml:11: warning: tunnels: target: expected HOST:PORT"))
        .anyMatch(m -> m.startsWith("test.yaml:12: warning: tunnels: address: expected IP:PORT"))
        .anyMatch(m -> m.contains("nowhere: a tunnel needs target: HOST:PORT"));
    assertThat(problems.errorCount())
        .as("unreadable tunnels are skipped, as a missing port: %s", messages())
        .isZero();
  }

  @Test
  void theTunRelayMovesOffAListenersPortUnlessChosen() {
    assertThat(read("mixed-port: 7890\nsocks-port: 7891\n").tun().relayPort()).isEqualTo(7892);
    assertThat(read("mixed-port: 7899\n").tun().relayPort()).isEqualTo(7890);
    assertThat(read("mixed-port: 7890\ntun:\n  relay-port: 7890\n").tun().relayPort())
        .as("written by the user: kept (and a clash shows at start)")
        .isEqualTo(7890);
    assertThat(read("mixed-port: 7890\ntun:\n  enable: false\n").tun().relayPort()).isEqualTo(7890);
  }

  /**
   * certificate and private-key on http, socks and mixed listeners: PEM files (as openssl writes
   * them) or the PEM text itself; the same files on a reload make an equal listener. TLS on other
   * types and REALITY are skipped with a warning.
   */
  @Test
  void tlsOnHttpSocksAndMixedListeners(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    dev.turnout.testing.SelfSigned.write(dir, "proxy.test", null);
    String cert = dir.resolve("cert.pem").toString();
    String key = dir.resolve("key.pem").toString();
    String yaml =
        String.join(
            "\n",
            "listeners:",
            "  - {name: tls-in, type: mixed, port: 7894, certificate: "
                + cert
                + ", private-key: "
                + key
                + "}",
            "  - {name: tun-in, type: tunnel, port: 7895, target: 198.51.100.1:80, certificate: "
                + cert
                + ", private-key: "
                + key
                + "}",
            "  - {name: vless-ish, type: http, port: 7896, reality-config: {dest: x}}",
            "  - {name: half, type: socks, port: 7897, certificate: " + cert + "}",
            "");
    List<ListenerSpec> specs = listeners(yaml);
    assertThat(specs).extracting(ListenerSpec::name).containsExactly("tls-in");
    assertThat(specs.get(0).tls()).isNotNull();
    assertThat(listeners(yaml).get(0))
        .as("the same files, an equal listener")
        .isEqualTo(specs.get(0));
    assertThat(String.join("\n", messages()))
        .contains(
            "listener tun-in: TLS is supported on http, socks, mixed, trojan, vless and vmess"
                + " listeners only")
        .contains("listener vless-ish: REALITY is not supported")
        .contains("listener half: TLS needs both certificate and private-key");
    String inline =
        "listeners:\n  - name: pem-in\n    type: http\n    port: 7898\n    certificate: |\n"
            + java.nio.file.Files.readString(dir.resolve("cert.pem")).indent(6)
            + "    private-key: |\n"
            + java.nio.file.Files.readString(dir.resolve("key.pem")).indent(6);
    assertThat(listeners(inline)).singleElement().extracting(ListenerSpec::tls).isNotNull();
  }

  /**
   * listeners: of type trojan, as mihomo's example writes them: users and TLS, over WebSocket with
   * ws-path; without either, or with a transport Turnout does not serve (gRPC), skipped with a
   * warning. Their UDP rides the stream, so udp: true opens no UDP socket.
   */
  @Test
  void trojanListenersNeedUsersAndTls(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    dev.turnout.testing.SelfSigned.write(dir, "proxy.test", null);
    String tls =
        ", certificate: " + dir.resolve("cert.pem") + ", private-key: " + dir.resolve("key.pem");
    String users = ", users: [{username: 1, password: trojan-pass}]";
    List<ListenerSpec> specs =
        listeners(
            String.join(
                "\n",
                "listeners:",
                "  - {name: tj-in, type: trojan, port: 10819, udp: true" + users + tls + "}",
                "  - {name: no-tls, type: trojan, port: 10820" + users + "}",
                "  - {name: no-users, type: trojan, port: 10821" + tls + "}",
                "  - {name: ws, type: trojan, port: 10822, ws-path: tj" + users + tls + "}",
                "  - {name: grpc, type: trojan, port: 10823, grpc-service-name: g"
                    + users
                    + tls
                    + "}",
                "  - {name: mixed-ws, type: mixed, port: 10824, ws-path: /x}",
                ""));
    assertThat(specs).extracting(ListenerSpec::name).containsExactly("tj-in", "ws", "mixed-ws");
    assertThat(specs.get(1).wsPath()).isEqualTo("/tj");
    assertThat(specs.get(0).wsPath()).isNull();
    assertThat(specs.get(2).wsPath()).isNull();
    ListenerSpec tj = specs.get(0);
    assertThat(tj.kind()).isEqualTo(ListenerSpec.Kind.TROJAN);
    assertThat(tj.tls()).isNotNull();
    assertThat(tj.udp()).isFalse();
    assertThat(tj.authentication().verify("1", "trojan-pass")).isTrue();
    assertThat(tj.kind().openWithoutUsers()).isFalse();
    assertThat(String.join("\n", messages()))
        .contains("listener no-tls: a Trojan listener needs certificate and private-key; skipped")
        .contains("listener no-users: a Trojan listener needs users")
        .contains(
            "listener grpc: grpc-service-name is not supported (Trojan over TLS, or WebSocket")
        .contains(
            "listener mixed-ws: only trojan, vless and vmess listeners speak WebSocket; ignored");
  }

  /**
   * listeners: of type vless, as mihomo's example writes them: users with UUIDs, TLS or plain. A
   * user with a flow is left out (its client would speak XTLS Vision); without users, or with a
   * transport Turnout does not serve, skipped with a warning. UDP rides the stream.
   */
  @Test
  void vlessListenersNeedUsersWithUuids(@org.junit.jupiter.api.io.TempDir Path dir)
      throws Exception {
    dev.turnout.testing.SelfSigned.write(dir, "proxy.test", null);
    String tls =
        ", certificate: " + dir.resolve("cert.pem") + ", private-key: " + dir.resolve("key.pem");
    String users =
        ", users: [{username: 1, uuid: 9D0CB9D0-964F-4EF6-897D-6C6B3CCF9E68},"
            + " {username: 2, uuid: 0d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68, flow: xtls-rprx-vision}]";
    List<ListenerSpec> specs =
        listeners(
            String.join(
                "\n",
                "listeners:",
                "  - {name: vl-in, type: vless, port: 10817, udp: true" + users + tls + "}",
                "  - {name: plain, type: vless, port: 10818" + users + "}",
                "  - {name: no-users, type: vless, port: 10821" + tls + "}",
                "  - {name: grpc, type: vless, port: 10822, grpc-service-name: g" + users + "}",
                ""));
    assertThat(specs).extracting(ListenerSpec::name).containsExactly("vl-in", "plain");
    ListenerSpec vl = specs.get(0);
    assertThat(vl.kind()).isEqualTo(ListenerSpec.Kind.VLESS);
    assertThat(vl.tls()).isNotNull();
    assertThat(specs.get(1).tls()).isNull();
    assertThat(vl.udp()).isFalse();
    assertThat(vl.authentication().verify("1", "9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68")).isTrue();
    assertThat(vl.authentication().verify("2", "0d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68")).isFalse();
    assertThat(vl.kind().openWithoutUsers()).isFalse();
    assertThat(String.join("\n", messages()))
        .contains("user 2: flow xtls-rprx-vision is not supported; this user is left out")
        .contains("listener no-users: a VLESS listener needs users")
        .contains("listener grpc: grpc-service-name is not supported (VLESS over TCP");
  }

  /**
   * listeners: of type vmess, as mihomo's example writes them: users with UUIDs (and an alterId,
   * which above 0 is a warning: legacy clients cannot get in), TLS or plain, UDP on the stream.
   */
  @Test
  void vmessListenersNeedUsersWithUuids() throws Exception {
    List<ListenerSpec> specs =
        listeners(
            String.join(
                "\n",
                "listeners:",
                "  - name: vmess-in-1",
                "    type: vmess",
                "    port: 10814",
                "    listen: 0.0.0.0",
                "    users:",
                "      - {username: 1, uuid: 9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68, alterId: 1}",
                "      - {username: 2, uuid: 0d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68}",
                "  - {name: no-users, type: vmess, port: 10815}",
                "  - {name: ws, type: vmess, port: 10816, ws-path: /, users: [{uuid: 9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68}]}",
                ""));
    assertThat(specs).extracting(ListenerSpec::name).containsExactly("vmess-in-1", "ws");
    assertThat(specs.get(1).wsPath()).isEqualTo("/");
    ListenerSpec vm = specs.get(0);
    assertThat(vm.kind()).isEqualTo(ListenerSpec.Kind.VMESS);
    assertThat(vm.udp()).isFalse();
    assertThat(vm.authentication().verify("1", "9d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68")).isTrue();
    assertThat(vm.authentication().verify("2", "0d0cb9d0-964f-4ef6-897d-6c6b3ccf9e68")).isTrue();
    assertThat(String.join("\n", messages()))
        .contains("user 1: alterId 1: only AEAD clients (alterId 0) are served")
        .contains("listener no-users: a VMess listener needs users");
  }
}
