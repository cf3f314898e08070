package dev.turnout.launcher.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
  void aClashKeyNotYetSupportedSaysSo() {
    assertThat(problems("dns:\n  nameserver: [192.0.2.1]\ntcp-concurrent: true\n"))
        .containsExactly(
            "test.yaml:3: tcp-concurrent: not supported by this version of Turnout; remove it");
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
                "  stack: gvisor",
                ""));
    assertThat(problems)
        .anyMatch(p -> p.startsWith("test.yaml:1: log-level: expected one of silent, error"))
        .anyMatch(
            p -> p.startsWith("test.yaml:3: dns.fake-ip-range: prefix length out of range 0..32"))
        .anyMatch(p -> p.startsWith("test.yaml:4: dns.nameserver: "))
        .anyMatch(p -> p.startsWith("test.yaml:7: tun.mtu: expected an integer from 576 to 65535"))
        .anyMatch(p -> p.startsWith("test.yaml:8: tun.device: expected an interface name"))
        .anyMatch(p -> p.startsWith("test.yaml:9: tun.stack: expected one of system"));
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
}
