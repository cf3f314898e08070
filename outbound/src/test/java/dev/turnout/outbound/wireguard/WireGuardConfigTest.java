package dev.turnout.outbound.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.outbound.Channels;
import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Entries;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UnavailableOutbound;
import dev.turnout.outbound.config.OutboundConfig;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How {@code type: wireguard} entries read: both forms, what is refused, what is warned about. */
class WireGuardConfigTest {
  private static final String KEY = "eCtXsJZ27+4PbhDkHnB923tkUn2Gj59wZw5wFA75MnU=";
  private static final String PUB = "Cr8hWlKvtDt7nrvf+f0brNQQzabAqrjfBvas9pmowjo=";
  private static final String PSK = "G3sJcCEmwq8S0D2HH5SGOp8jq1hP2fpt5zyrBOnJ0zA=";

  @TempDir Path dir;
  private List<ConfigProblem> problems;

  private Outbound load(String entry) {
    OutboundConfig.Result r =
        OutboundConfig.load(
            Entries.parse("proxies", "proxies:", "  - " + entry),
            List.of(),
            new OutboundConfig.Environment(Channels.loopbackDialer(), dir, null));
    problems = r.problems();
    return r.outbounds().get("wg");
  }

  private List<String> messages() {
    return problems.stream().map(ConfigProblem::toString).toList();
  }

  private static String base(String more) {
    return "{name: wg, type: wireguard, server: 203.0.113.6, port: 51820, ip: 198.51.100.20,"
        + " private-key: '"
        + KEY
        + "', public-key: '"
        + PUB
        + "'"
        + more
        + "}";
  }

  @Test
  void readsTheTopLevelForm() {
    Outbound o =
        load(
            base(
                ", pre-shared-key: '"
                    + PSK
                    + "', reserved: [209, 98, 59], allowed-ips: ['203.0.113.0/24'], mtu: 1280,"
                    + " persistent-keepalive: 25, udp: true, dns: [1.1.1.1], workers: 2"));
    assertThat(problems).isEmpty();
    WireGuardOutbound wg = (WireGuardOutbound) o;
    assertThat(wg.type()).isEqualTo("WireGuard");
    assertThat(wg.server()).isEqualTo("203.0.113.6:51820");
    Peer p = wg.peer();
    assertThat(p.reserved()).containsExactly(209, 98, 59);
    assertThat(p.mtu()).isEqualTo(1280);
    assertThat(p.keepaliveSeconds()).isEqualTo(25);
    assertThat(p.allows(0xcb007101)).isTrue();
    assertThat(p.allows(0xc6336401)).isFalse();
    assertThat(p.keys().presharedKey).isNotEqualTo(new byte[32]);
  }

  @Test
  void readsOnePeerFromPeersWithDefaults() {
    Outbound o =
        load(
            "{name: wg, type: wireguard, ip: 198.51.100.20/32, private-key: '"
                + KEY
                + "', udp: true, peers: [{server: 203.0.113.7, port: 2408, public-key: '"
                + PUB
                + "', reserved: 'AQID'}]}");
    assertThat(problems).isEmpty();
    WireGuardOutbound wg = (WireGuardOutbound) o;
    assertThat(wg.server()).isEqualTo("203.0.113.7:2408");
    assertThat(wg.peer().reserved()).containsExactly(1, 2, 3);
    assertThat(wg.peer().mtu()).isEqualTo(WireGuardConfig.DEFAULT_MTU);
    assertThat(wg.peer().allows(0x08080808)).as("allowed-ips defaults to everything").isTrue();
    assertThat(wg.peer().keys().presharedKey).isEqualTo(new byte[32]);
  }

  @Test
  void refusesWhatWouldRouteDifferently() {
    String peer = "{server: 203.0.113.7, port: 2408, public-key: '" + PUB + "'}";
    assertUnavailable(
        "{name: wg, type: wireguard, ip: 198.51.100.20, private-key: '"
            + KEY
            + "', peers: ["
            + peer
            + ", "
            + peer
            + "]}",
        "only one peer is supported, this proxy has 2");
    assertUnavailable(
        base(", remote-dns-resolve: true, dns: [1.1.1.1]"), "resolved by the tunnel's DNS");
    assertUnavailable(base(", amnezia-wg-option: {jc: 4}"), "AmneziaWG");
    assertUnavailable(base(", dialer-proxy: other"), "through another proxy");
    assertUnavailable(
        "{name: wg, type: wireguard, server: 203.0.113.6, port: 51820, ipv6: '2001:db8::2',"
            + " private-key: '"
            + KEY
            + "', public-key: '"
            + PUB
            + "'}",
        "IPv6-only is not supported");
  }

  private void assertUnavailable(String entry, String why) {
    Outbound o = load(entry);
    assertThat(o).as(entry).isInstanceOf(UnavailableOutbound.class);
    assertThat(messages()).anyMatch(m -> m.contains("unavailable") && m.contains(why));
  }

  @Test
  void warnsAboutWhatItApproximates() {
    Outbound o = load(base(", ipv6: '2001:db8::2', refresh-server-ip-interval: 60"));
    assertThat(o).isInstanceOf(WireGuardOutbound.class);
    assertThat(messages())
        .anyMatch(m -> m.contains("\"ipv6\"") && m.contains("IPv6 is not carried"))
        .anyMatch(m -> m.contains("refresh-server-ip-interval") && m.contains("resolved once"));
  }

  @Test
  void reportsBadValues() {
    assertThat(load(base(", reserved: [1, 2]"))).isNull();
    assertThat(messages()).anyMatch(m -> m.contains("reserved") && m.contains("three numbers"));
    load(
        "{name: wg, type: wireguard, server: 203.0.113.6, port: 51820, ip: 198.51.100.20,"
            + " private-key: 'c2hvcnQ=', public-key: '"
            + PUB
            + "'}");
    assertThat(messages()).anyMatch(m -> m.contains("private-key") && m.contains("32 bytes"));
    load(base(", allowed-ips: [nonsense]"));
    assertThat(messages()).anyMatch(m -> m.contains("allowed-ips"));
    load(
        "{name: wg, type: wireguard, server: 203.0.113.6, port: 51820, private-key: '"
            + KEY
            + "', public-key: '"
            + PUB
            + "'}");
    assertThat(messages()).anyMatch(m -> m.contains("\"ip\"") && m.contains("missing"));
  }

  @Test
  void udpOnlyWhenAskedFor() throws Exception {
    Outbound o = load(base(""));
    var loop = Channels.loop();
    var f = ((WireGuardOutbound) o).openUdp(loop, (s, p) -> p.release()).await();
    assertThat(f.cause()).hasMessageContaining("udp is not enabled");
  }
}
