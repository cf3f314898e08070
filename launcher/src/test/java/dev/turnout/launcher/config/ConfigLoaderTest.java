package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.config.Problems;
import dev.turnout.fakedns.SystemNameservers;
import dev.turnout.netbase.Ipv4;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
  private static TurnoutConfig parse(String yaml) throws ConfigException {
    return ConfigLoader.parse("test.yaml", Path.of("test.yaml"), yaml);
  }

  private static List<String> problems(String yaml) {
    try {
      parse(yaml);
    } catch (ConfigException e) {
      return e.problems();
    }
    throw new AssertionError("expected a ConfigException for:\n" + yaml);
  }

  @Test
  void theExampleConfigLoadsWithItsDefaults() throws Exception {
    TurnoutConfig config = ConfigLoader.load(Path.of("../config.yaml.example"));
    assertThat(config.dns().listen().toString()).isEqualTo("/198.18.0.1:53");
    assertThat(config.tun().device()).isEqualTo("turnout0");
    assertThat(config.tun().mtu()).isEqualTo(65535);
    assertThat(config.tun().gso()).isTrue();
    assertThat(config.tun().fastPath()).isTrue();
    assertThat(config.rules())
        .extracting(TurnoutConfig.RuleLine::text)
        .containsExactly("MATCH,DIRECT");
    assertThat(config.rules().get(0).line()).isGreaterThan(1);
  }

  @Test
  void theRangeIsSplitIntoTunAddressFakePoolAndNatPool() throws Exception {
    AddressPlan plan = parse("dns:\n  nameserver: [192.0.2.1]\n").plan();
    assertThat(Ipv4.address(plan.tunAddress()).getHostAddress()).isEqualTo("198.18.0.1");
    assertThat(Ipv4.address(plan.fakeFirst()).getHostAddress()).isEqualTo("198.18.0.2");
    assertThat(Ipv4.address(plan.fakeLast()).getHostAddress()).isEqualTo("198.18.255.255");
    assertThat(Ipv4.address(plan.natFirst()).getHostAddress()).isEqualTo("198.19.0.0");
    assertThat(Ipv4.address(plan.natLast()).getHostAddress()).isEqualTo("198.19.255.254");
  }

  @Test
  void hostBitsInTheRangeAreIgnoredAsClashUsersWriteThem() throws Exception {
    AddressPlan plan =
        parse("dns:\n  fake-ip-range: 198.18.0.1/16\n  nameserver: [192.0.2.1]\n").plan();
    assertThat(plan.range().toString()).isEqualTo("198.18.0.0/16");
    assertThat(Ipv4.address(plan.natFirst()).getHostAddress()).isEqualTo("198.18.128.0");
  }

  @Test
  void offloadCanBeTurnedOffWithMihomosKey() throws Exception {
    TurnoutConfig config = parse("dns:\n  nameserver: [192.0.2.1]\ntun:\n  gso: false\n");
    assertThat(config.tun().gso()).isFalse();
    assertThat(problems("dns:\n  nameserver: [192.0.2.1]\ntun:\n  gso: maybe\n"))
        .singleElement()
        .asString()
        .startsWith("test.yaml:4: tun.gso: ");
  }

  @Test
  void theKernelFastPathCanBeTurnedOff() throws Exception {
    TurnoutConfig config = parse("dns:\n  nameserver: [192.0.2.1]\ntun:\n  fast-path: false\n");
    assertThat(config.tun().fastPath()).isFalse();
    assertThat(problems("dns:\n  nameserver: [192.0.2.1]\ntun:\n  fast-path: 1\n"))
        .singleElement()
        .asString()
        .startsWith("test.yaml:4: tun.fast-path: ");
  }

  @Test
  void anUnknownKeyNamesFileLineAndKey() {
    assertThat(problems("dns:\n  nameserver: [192.0.2.1]\n  listne: 1.2.3.4:53\n"))
        .singleElement()
        .asString()
        .startsWith("test.yaml:3: dns.listne: unknown key; expected one of ");
  }

  @Test
  void aClashKeyTurnoutDoesNotUseIsAWarningWithItsReasonAndTheFileLoads() throws Exception {
    Problems problems = new Problems("test.yaml");
    TurnoutConfig config =
        ConfigLoader.read(
            "test.yaml",
            Path.of("test.yaml"),
            "dns:\n  nameserver: [192.0.2.1]\ntcp-concurrent: true\nsniffer: {enable: true}\n",
            problems);
    assertThat(config).isNotNull();
    assertThat(problems.hasErrors()).isFalse();
    assertThat(problems.sorted())
        .extracting(Object::toString)
        .containsExactly(
            "test.yaml:3: warning: tcp-concurrent: accepted and ignored: Turnout always races the"
                + " addresses of a name when it connects (Happy Eyeballs)",
            "test.yaml:4: warning: sniffer.enable: true, but no TLS, HTTP or QUIC ports to sniff:"
                + " nothing is sniffed");
  }

  @Test
  void aTunKeyWhoseAbsenceWouldCaptureOtherTrafficIsRefused() {
    assertThat(
            problems("dns:\n  nameserver: [192.0.2.1]\ntun:\n  loopback-address: [198.51.100.1]\n"))
        .singleElement()
        .asString()
        .startsWith("test.yaml:4: tun.loopback-address: not supported: connections to these");
  }

  @Test
  void macAddressesChooseTheLanDevicesCaptured() throws Exception {
    String tun = "dns:\n  nameserver: [192.0.2.1]\ntun:\n  auto-route: true\n";
    TurnoutConfig config =
        parse(
            tun
                + "  exclude-mac-address: [02:00:5E:00:53:01]\n"
                + "  include-mac-address: [02:00:5e:00:53:02]\n");
    assertThat(config.tun().excludeMacs()).containsExactly("02:00:5e:00:53:01");
    assertThat(config.tun().includeMacs()).containsExactly("02:00:5e:00:53:02");
    assertThat(problems(tun + "  include-mac-address: [02:00:5e:00:53:02, 02-00-5e-00-53-03]\n"))
        .containsExactly(
            "test.yaml:5: tun.include-mac-address: not a MAC address (six hex pairs, colons):"
                + " 02-00-5e-00-53-03");
  }

  @Test
  void captureKeysWithoutAutoRouteAreWarnedAboutAndWithItAreNot() throws Exception {
    String keys = "  route-address: [198.51.100.0/24]\n  exclude-dst-port: [22]\n";
    assertThat(warnings("dns:\n  nameserver: [192.0.2.1]\ntun:\n" + keys))
        .containsExactly(
            "test.yaml:4: warning: tun.route-address: has no effect without auto-route: only the"
                + " fake-IP range is routed into the TUN",
            "test.yaml:5: warning: tun.exclude-dst-port: has no effect without auto-route: only the"
                + " fake-IP range is routed into the TUN");
    assertThat(warnings("dns:\n  nameserver: [192.0.2.1]\ntun:\n  auto-route: true\n" + keys))
        .isEmpty();
  }

  /** Every problem of loading {@code yaml}, as shown. */
  private static List<String> warnings(String yaml) {
    Problems problems = new Problems("test.yaml");
    ConfigLoader.read("test.yaml", Path.of("test.yaml"), yaml, problems);
    return problems.sorted().stream().map(Object::toString).toList();
  }

  @Test
  void includedUsersAreReadAsIdsAndRanges() throws Exception {
    TurnoutConfig config =
        parse(
            "dns:\n  nameserver: [192.0.2.1]\ntun:\n  include-uid: [1000]\n"
                + "  include-uid-range: [\"2000:2099\"]\n");
    assertThat(config.tun().includeUids()).containsExactly("1000-1000", "2000-2099");
    assertThat(
            parse("dns:\n  nameserver: [192.0.2.1]\ntun:\n  exclude-interface: [docker0, br-1]\n")
                .tun()
                .excludeInterfaces())
        .containsExactly("docker0", "br-1");
    assertThat(
            parse("dns:\n  nameserver: [192.0.2.1]\ntun:\n  include-interface: [br-lan, lo]\n")
                .tun()
                .includeInterfaces())
        .containsExactly("br-lan", "lo");
    assertThat(
            problems(
                "dns:\n  nameserver: [192.0.2.1]\ntun:\n  include-interface: [br-lan]\n"
                    + "  exclude-interface: [eth1]\n"))
        .containsExactly(
            "test.yaml:4: tun.include-interface: conflicts with exclude-interface (as in mihomo and"
                + " sing-box): write one of them");
  }

  @Test
  void excludedPortsAreReadAsRangesAndBadOnesRefused() throws Exception {
    TurnoutConfig config =
        parse(
            "dns:\n  nameserver: [192.0.2.1]\ntun:\n  exclude-dst-port: [22, 443]\n"
                + "  exclude-dst-port-range: [\"1000:2000\"]\n  exclude-src-port-range: [\"6000-6100\"]\n");
    assertThat(config.tun().excludeDstPorts()).containsExactly("22-22", "443-443", "1000-2000");
    assertThat(config.tun().excludeSrcPorts()).containsExactly("6000-6100");
    assertThat(
            problems("dns:\n  nameserver: [192.0.2.1]\ntun:\n  exclude-src-port: [0, 70000, x]\n"))
        .hasSize(3)
        .allMatch(p -> p.contains("tun.exclude-src-port: expected a port"));
  }

  @Test
  void routeAddressesAreReadUnderEachOfMihomosNamesAndBadOnesRefused() throws Exception {
    TurnoutConfig config =
        parse(
            "dns:\n  nameserver: [192.0.2.1]\ntun:\n  route-address: [198.51.100.10/24]\n"
                + "  inet4-route-address: [203.0.113.0/25]\n"
                + "  inet6-route-address: [\"2001:db8::/33\"]\n");
    assertThat(config.tun().routeAddress())
        .containsExactly("198.51.100.0/24", "203.0.113.0/25", "2001:db8::/33");
    assertThat(problems("dns:\n  nameserver: [192.0.2.1]\ntun:\n  route-address: [nowhere]\n"))
        .singleElement()
        .asString()
        .startsWith("test.yaml:4: tun.route-address:");
  }

  @Test
  void addressSetsNameIpcidrProvidersAndAnyOtherIsAnErrorAtItsLine() throws Exception {
    String providers =
        String.join(
            "\n",
            "rule-providers:",
            "  cn_ip:",
            "    type: file",
            "    behavior: ipcidr",
            "    format: text",
            "    path: ./cn_ip.txt",
            "  lan:",
            "    {type: file, behavior: ipcidr, path: ./lan.yaml}",
            "  cn_domain:",
            "    type: file",
            "    behavior: domain",
            "    path: ./cn.yaml",
            "");
    String tun =
        "dns:\n  nameserver: [192.0.2.1]\ntun:\n  auto-route: true\n  auto-redirect: true\n";
    TurnoutConfig config =
        parse(
            tun
                + "  route-address-set: [lan]\n"
                + "  route-exclude-address-set:\n    - cn_ip\n"
                + providers);
    assertThat(config.tun().routeAddressSets()).containsExactly("lan");
    assertThat(config.tun().routeExcludeAddressSets()).containsExactly("cn_ip");
    assertThat(problems(tun + "  route-exclude-address-set: [cn_domain, nowhere]\n" + providers))
        .containsExactly(
            "test.yaml:6: tun.route-exclude-address-set: rule provider cn_domain has behavior:"
                + " domain; routes are made only from ipcidr providers",
            "test.yaml:6: tun.route-exclude-address-set: no rule provider named \"nowhere\"");
    assertThat(
            warnings(
                "dns:\n  nameserver: [192.0.2.1]\ntun:\n  route-address-set: [lan]\n" + providers))
        .containsExactly(
            "test.yaml:4: warning: tun.route-address-set: has no effect without auto-route: only"
                + " the fake-IP range is routed into the TUN");
  }

  @Test
  void modeIsReadInAnyLetterCase() throws Exception {
    String dns = "dns:\n  nameserver: [192.0.2.1]\n";
    assertThat(parse(dns).mode()).isEqualTo(TurnoutConfig.Mode.RULE);
    assertThat(parse(dns + "mode: Rule\n").mode()).isEqualTo(TurnoutConfig.Mode.RULE);
    assertThat(parse(dns + "mode: global\n").mode()).isEqualTo(TurnoutConfig.Mode.GLOBAL);
    assertThat(parse(dns + "mode: DIRECT\n").mode()).isEqualTo(TurnoutConfig.Mode.DIRECT);
    assertThat(problems(dns + "mode: script\n"))
        .containsExactly(
            "test.yaml:3: mode: script mode (Clash Premium) is not supported; use Rule");
    assertThat(problems(dns + "mode: rules\n"))
        .containsExactly("test.yaml:3: mode: expected Rule, Global or Direct, got \"rules\"");
  }

  @Test
  void mihomosEverydayValuesLoadWithWarnings() throws Exception {
    Problems problems = new Problems("test.yaml");
    TurnoutConfig config =
        ConfigLoader.read(
            "test.yaml",
            Path.of("test.yaml"),
            String.join(
                "\n",
                "ipv6: true",
                "find-process-mode: strict",
                "profile: {store-selected: true, store-fake-ip: true}",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "tun:",
                "  stack: mixed",
                "  exclude-uid-range: ['1000:1099']",
                "  inet4-route-exclude-address: [192.0.2.0/24]",
                "  route-exclude-address: [fc00::/7]",
                "  auto-route: true",
                "  auto-detect-interface: true",
                ""),
            problems);
    assertThat(problems.hasErrors()).as("%s", problems.sorted()).isFalse();
    assertThat(problems.sorted())
        .extracting(p -> p.line() + " " + p.path())
        .containsExactly("7 tun.stack", "12 tun.auto-detect-interface");
    assertThat(config.tun().excludeUids()).containsExactly("1000-1099");
    assertThat(config.tun().routeExcludeAddress()).containsExactly("fc00::/7", "192.0.2.0/24");
    assertThat(config.fakeDns().storeFakeIp()).isTrue();
  }

  @Test
  void findProcessModeOffIsRefusedOnlyWhenProcessRulesWouldMatchHereAndNotInMihomo()
      throws Exception {
    String dns = "dns:\n  nameserver: [192.0.2.1]\nfind-process-mode: off\n";
    parse(dns + "rules:\n  - MATCH,DIRECT\n");
    assertThat(problems(dns + "rules:\n  - PROCESS-NAME,curl,REJECT\n  - MATCH,DIRECT\n"))
        .singleElement()
        .asString()
        .startsWith("test.yaml:3: find-process-mode: with off, mihomo never matches");
  }

  @Test
  void proxyProvidersAreReadWithEveryKey() throws Exception {
    TurnoutConfig config =
        parse(
            String.join(
                "\n",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxy-providers:",
                "  sub:",
                "    type: http",
                "    url: https://sub.example/api?token=x",
                "    path: ./proxy_providers/sub.yaml",
                "    interval: 3600",
                "    proxy: DIRECT",
                "    size-limit: 0",
                "    header: {User-Agent: [clash.meta, mihomo], Authorization: token}",
                "    filter: 'HK|SG'",
                "    exclude-filter: expire",
                "    exclude-type: ss|http",
                "    health-check:",
                "      enable: true",
                "      url: https://cp.example/generate_204",
                "      interval: 300",
                "      lazy: false",
                "      timeout: 3000",
                "      expected-status: 204",
                "    override:",
                "      udp: true",
                "      skip-cert-verify: true",
                "      additional-prefix: '[sub] '",
                "      proxy-name: [{pattern: '香港', target: HK}]",
                "  local: {type: file, path: ./local.yaml}",
                "  mine:",
                "    type: inline",
                "    payload:",
                "      - {name: own, type: socks5, server: 192.0.2.8, port: 1080}",
                ""));
    var providers = config.proxies().providers();
    assertThat(providers)
        .extracting(p -> p.name() + " " + p.type())
        .containsExactly("sub HTTP", "local FILE", "mine INLINE");
    var sub = providers.get(0);
    assertThat(sub.url()).hasToString("https://sub.example/api?token=x");
    assertThat(sub.interval()).hasSeconds(3600);
    assertThat(sub.proxy()).isEqualTo("DIRECT");
    assertThat(sub.headers())
        .containsEntry("User-Agent", List.of("clash.meta", "mihomo"))
        .containsEntry("Authorization", List.of("token"));
    assertThat(sub.filter().accepts("HK 01", "vmess")).isTrue();
    assertThat(sub.filter().accepts("HK 01", "Shadowsocks")).isFalse();
    assertThat(sub.filter().accepts("HK expire", "vmess")).isFalse();
    assertThat(sub.healthCheck().url()).hasToString("https://cp.example/generate_204");
    assertThat(sub.healthCheck().lazy()).isFalse();
    assertThat(sub.healthCheck().timeout()).hasMillis(3000);
    assertThat(sub.healthCheck().expected().test(204)).isTrue();
    assertThat(sub.healthCheck().expected().test(200)).isFalse();
    assertThat(sub.override().values()).containsOnlyKeys("udp", "skip-cert-verify");
    assertThat(sub.override().name("香港 01")).isEqualTo("[sub] HK 01");
    assertThat(providers.get(1).path())
        .isEqualTo(Path.of("test.yaml").toAbsolutePath().resolveSibling("local.yaml"));
    assertThat(providers.get(2).payload()).hasSize(1);
  }

  @Test
  void proxyProviderMistakesAreNamedAndHarmlessKeysWarned() {
    Problems problems = new Problems("test.yaml");
    TurnoutConfig config =
        ConfigLoader.read(
            "test.yaml",
            Path.of("test.yaml"),
            String.join(
                "\n",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxy-providers:",
                "  a: {type: http}",
                "  b: {type: ftp, url: 'ftp://x'}",
                "  c: {type: http, url: 'https://x.example/', filter: '(', colour: red}",
                "  d: {type: http, url: 'https://x.example/d', override: {tfo: true}}",
                "  e: {type: http, url: 'https://x.example/e', health-check: {enable: true}}",
                ""),
            problems);
    assertThat(problems.sorted())
        .extracting(Object::toString)
        .containsExactly(
            "test.yaml:4: proxy-providers.a.url: required for type: http",
            "test.yaml:5: proxy-providers.b.type: expected one of http, file, inline, got \"ftp\"",
            "test.yaml:5: proxy-providers.b.url: expected an http:// or https:// URL, got"
                + " \"ftp://x\"",
            "test.yaml:6: proxy-providers.c.filter: not a valid regular expression: Unclosed group:"
                + " (",
            "test.yaml:6: warning: proxy-providers.c.colour: unknown key, ignored",
            "test.yaml:7: warning: proxy-providers.d.override.tfo: accepted and ignored: TCP Fast"
                + " Open is not used",
            "test.yaml:8: proxy-providers.e.health-check.url: required with enable: true; Turnout"
                + " never probes a built-in address for you");
    assertThat(config.proxies().providers()).extracting(p -> p.name()).containsExactly("d");
  }

  @Test
  void hijackingOneResolverIsAcceptedOnlyWithinAny53() throws Exception {
    String dns = "dns:\n  nameserver: [192.0.2.1]\n";
    TurnoutConfig config =
        parse(
            dns
                + "tun:\n  dns-hijack: [192.0.2.53:53, any:53, tcp://192.0.2.53:53, tcp://any:53]\n");
    assertThat(config.tun().dnsHijackUdp()).isTrue();
    assertThat(config.tun().dnsHijackTcp()).isTrue();
    assertThat(problems(dns + "tun:\n  dns-hijack: [any:53, tcp://192.0.2.53:53]\n"))
        .containsExactly(
            "test.yaml:4: tun.dns-hijack: only any:53 and tcp://any:53 are supported, got"
                + " \"tcp://192.0.2.53:53\"");
  }

  @Test
  void badUidRangesAreNamed() {
    assertThat(problems("dns:\n  nameserver: [192.0.2.1]\ntun:\n  exclude-uid-range: ['9:1']\n"))
        .containsExactly(
            "test.yaml:4: tun.exclude-uid-range: expected FIRST:LAST user ids such as 1000:1099,"
                + " got \"9:1\"");
  }

  @Test
  void everyProblemOfAFileIsReportedAtOnce() {
    List<String> problems =
        problems(
            String.join(
                "\n",
                "log-level: loud",
                "dns:",
                "  fake-ip-range: 198.18.0.0/33",
                "  nameserver: [\"quic://192.0.2.1\"]",
                "  fake-ip-filter: [\"a..b\"]",
                "tun:",
                "  mtu: 70000",
                "  device: this-name-is-far-too-long",
                "  stack: lwip",
                ""));
    assertThat(problems)
        .anyMatch(p -> p.startsWith("test.yaml:1: log-level: expected one of silent, error"))
        .anyMatch(
            p -> p.startsWith("test.yaml:3: dns.fake-ip-range: prefix length out of range 0..32"))
        .anyMatch(p -> p.startsWith("test.yaml:4: dns.nameserver: "))
        .anyMatch(p -> p.startsWith("test.yaml:7: tun.mtu: expected an integer from 576 to 65535"))
        .anyMatch(p -> p.startsWith("test.yaml:8: tun.device: expected an interface name"))
        .anyMatch(p -> p.startsWith("test.yaml:9: tun.stack: expected one of system, gvisor"));
  }

  @Test
  void anUpstreamIsRequiredBecauseTheSystemResolverPointsAtTurnout() {
    assertThat(problems("dns:\n  enable: true\n"))
        .singleElement()
        .asString()
        .contains("dns.nameserver: at least one upstream is needed");
  }

  @Test
  void duplicateKeysAreErrors() {
    assertThat(problems("dns:\n  nameserver: [192.0.2.1]\nlog-level: info\nlog-level: debug\n"))
        .containsExactly("test.yaml:4: log-level: duplicate key");
  }

  @Test
  void yamlSyntaxErrorsNameTheLine() {
    assertThatThrownBy(() -> parse("dns:\n  nameserver: [192.0.2.1\nrules: x\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageStartingWith("test.yaml:3: YAML syntax:");
  }

  @Test
  void typeMismatchesAreReported() {
    assertThat(problems("dns: [1, 2]\n"))
        .anyMatch(p -> p.startsWith("test.yaml:1: dns: expected a mapping of keys"));
    assertThat(problems("dns:\n  nameserver: 192.0.2.1\n"))
        .anyMatch(p -> p.startsWith("test.yaml:2: dns.nameserver: expected a list"));
  }

  @Test
  void listenAcceptsAddressPortAndBarePort() throws Exception {
    assertThat(
            parse("dns:\n  listen: 127.0.0.1:5353\n  nameserver: [192.0.2.1]\n")
                .dns()
                .listen()
                .getPort())
        .isEqualTo(5353);
    assertThat(problems("dns:\n  listen: localhost\n  nameserver: [192.0.2.1]\n"))
        .singleElement()
        .asString()
        .startsWith("test.yaml:2: dns.listen: expected ADDRESS:PORT");
  }

  @Test
  void anEmptyFileIsAnError() {
    assertThat(problems("")).containsExactly("test.yaml:1: the file is empty");
  }

  @Test
  void aDuplicateProxiesKeyIsReportedWithItsLine() {
    assertThat(
            problems(
                String.join(
                    "\n",
                    "dns:",
                    "  nameserver: [192.0.2.1]",
                    "proxies:",
                    "  - {name: a, type: socks5, server: 192.0.2.9, port: 1080}",
                    "proxies:",
                    "  - {name: b, type: socks5, server: 192.0.2.9, port: 1080}",
                    "")))
        .containsExactly("test.yaml:5: proxies: duplicate key");
  }

  @Test
  void proxyEntriesKeepWhatWasWrittenAsClashReadsIt() throws Exception {
    TurnoutConfig config =
        parse(
            String.join(
                "\n",
                "allow-lan: yes",
                "dns:",
                "  nameserver: [192.0.2.1]",
                "proxies:",
                "  - &base {name: a, type: ss, server: 192.0.2.9, port: 8388, cipher: aes-128-gcm}",
                "  - {<<: *base, name: NO, password: off}",
                ""));
    assertThat(config.fakeDns().allowLan()).isTrue();
    var entry = config.proxies().proxies().get(1);
    assertThat(entry.text("name")).contains("NO");
    assertThat(entry.text("password")).contains("off");
    assertThat(entry.text("cipher")).contains("aes-128-gcm");
    assertThat(entry.get("cipher").get().line()).isEqualTo(5); // where the anchor wrote it
  }

  /**
   * With Turnout's DNS server off and no nameserver written, Turnout's own lookups use the system's
   * nameservers (as mihomo then does); before, check said OK and run failed at start.
   */
  @Test
  void dnsOffWithoutNameserverUsesTheSystems() throws Exception {
    String yaml = "dns: {enable: false}\n";
    if (SystemNameservers.read().isEmpty()) {
      assertThat(problems(yaml)).singleElement().asString().contains("names none");
    } else {
      assertThat(parse(yaml).dns().nameservers()).containsExactly("system");
    }
    // written ones win, and with the server on one must be written
    assertThat(
            ConfigLoader.read(
                    "t",
                    Path.of("t"),
                    "dns: {enable: false, nameserver: [192.0.2.9]}\n",
                    new Problems("t"))
                .dns()
                .nameservers())
        .containsExactly("192.0.2.9");
    assertThat(problems("dns: {enable: true}\n"))
        .singleElement()
        .asString()
        .contains("at least one upstream");
  }

  /** mihomo keeps Country.mmdb and GeoLite2-ASN.mmdb in its home directory: so are they found. */
  @Test
  void geodataBesideTheConfigIsFoundAsMihomoFindsIt(@org.junit.jupiter.api.io.TempDir Path home)
      throws Exception {
    java.nio.file.Files.writeString(home.resolve("country.mmdb"), "");
    java.nio.file.Files.writeString(home.resolve("GeoLite2-ASN.mmdb"), "");
    String yaml = "dns: {nameserver: [192.0.2.53]}\n";
    TurnoutConfig beside = ConfigLoader.parse("c.yaml", home.resolve("c.yaml"), yaml);
    assertThat(beside.files().geoipDatabase()).isEqualTo(home.resolve("country.mmdb"));
    assertThat(beside.files().asnDatabase()).isEqualTo(home.resolve("GeoLite2-ASN.mmdb"));
    TurnoutConfig written =
        ConfigLoader.parse(
            "c.yaml", home.resolve("c.yaml"), yaml + "geoip-database: /elsewhere/c.mmdb\n");
    assertThat(written.files().geoipDatabase()).isEqualTo(Path.of("/elsewhere/c.mmdb"));
    assertThat(parse(yaml).files().geoipDatabase()).isNull(); // nothing beside test.yaml
  }
}
