package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class NameserverTest {
  @Test
  void acceptedForms() {
    assertThat(Nameserver.parse("198.51.100.1").toString()).isEqualTo("udp://198.51.100.1:53");
    assertThat(Nameserver.parse("198.51.100.1:5353").toString())
        .isEqualTo("udp://198.51.100.1:5353");
    assertThat(Nameserver.parse("udp://198.51.100.1").toString())
        .isEqualTo("udp://198.51.100.1:53");
    Nameserver tcp = Nameserver.parse("tcp://198.51.100.1:54");
    assertThat(tcp.tcp()).isTrue();
    assertThat(tcp.address().getPort()).isEqualTo(54);
    assertThat(Nameserver.parse("2001:db8::1").address().getPort()).isEqualTo(53);
    assertThat(Nameserver.parse("[2001:db8::1]:5353").address().getPort()).isEqualTo(5353);
    assertThat(Nameserver.parse("tls://198.51.100.1").toString())
        .isEqualTo("tls://198.51.100.1:853");
    assertThat(Nameserver.parse("tls://198.51.100.1:8853").toString())
        .isEqualTo("tls://198.51.100.1:8853");
    assertThat(Nameserver.parse("https://198.51.100.1").toString())
        .isEqualTo("https://198.51.100.1:443/dns-query");
    assertThat(Nameserver.parse("https://[2001:db8::1]:8443/q").toString())
        .isEqualTo("https://[2001:db8:0:0:0:0:0:1]:8443/q");
    assertThat(Nameserver.parse("HTTPS://198.51.100.1/resolve").path()).isEqualTo("/resolve");
  }

  @Test
  void serversGivenByNameKeepTheirNameForTlsAndResolveLater() {
    Nameserver doh = Nameserver.parse("https://DNS.Example/dns-query");
    assertThat(doh.needsResolving()).isTrue();
    assertThat(doh.host()).isEqualTo("dns.example");
    assertThat(doh.toString()).isEqualTo("https://dns.example:443/dns-query");
    assertThat(Nameserver.parse("tls://dns.example").toString()).isEqualTo("tls://dns.example:853");
    assertThat(Nameserver.parse("dns.example:5353").toString()).isEqualTo("udp://dns.example:5353");
    assertThat(Nameserver.parse("198.51.100.1").needsResolving()).isFalse();
  }

  @Test
  void outboundAfterTheHashAndIgnoredParameters() {
    assertThat(Nameserver.parse("tls://198.51.100.1#Proxy").via()).isEqualTo("Proxy");
    assertThat(Nameserver.parse("198.51.100.1#DIRECT").via()).isNull();
    Nameserver doh = Nameserver.parse("https://dns.example/q#Proxy&h3=true&skip-cert-verify=true");
    assertThat(doh.via()).isEqualTo("Proxy");
    assertThat(doh.path()).isEqualTo("/q");
    assertThat(doh.warnings())
        .hasSize(2)
        .anySatisfy(w -> assertThat(w).contains("HTTP/3 is not supported"))
        .anySatisfy(w -> assertThat(w).contains("certificates are always verified"));
    assertThat(Nameserver.parse("tls://198.51.100.1").warnings()).isEmpty();
  }

  @Test
  void rcodeServersAnswerWithoutAsking() {
    Nameserver refused = Nameserver.parse("rcode://refused");
    assertThat(refused.rcode()).isEqualTo(org.xbill.DNS.Rcode.REFUSED);
    assertThat(refused.needsResolving()).isFalse();
    assertThat(Nameserver.parse("rcode://name_error").rcode())
        .isEqualTo(org.xbill.DNS.Rcode.NXDOMAIN);
    assertThatThrownBy(() -> Nameserver.parse("rcode://maybe"))
        .hasMessageContaining("rcode:// takes one of");
  }

  @Test
  void transportsTurnoutDoesNotSpeakAreRefusedWithTheReason() {
    assertThatThrownBy(() -> Nameserver.parse("quic://dns.example"))
        .hasMessageContaining("DNS over QUIC is not supported");
    assertThatThrownBy(() -> Nameserver.parse("http://198.51.100.1/dns-query"))
        .hasMessageContaining("plain HTTP");
  }

  /** mihomo's spellings of the host's own resolvers, and of DHCP on one interface. */
  @Test
  void systemAndDhcpEntriesAreFoundWhileRunning() {
    for (String system : List.of("system", "System", "SYSTEM://", "system://", "dhcp://system")) {
      Nameserver ns = Nameserver.parse(system);
      assertThat(ns.protocol()).as(system).isEqualTo(Nameserver.Protocol.SYSTEM);
      assertThat(ns.discovered()).isTrue();
      assertThat(ns.needsResolving()).isFalse();
      assertThat(ns).hasToString("system");
      assertThat(ns.warnings()).isEmpty();
    }
    Nameserver dhcp = Nameserver.parse("dhcp://en0");
    assertThat(dhcp.protocol()).isEqualTo(Nameserver.Protocol.DHCP);
    assertThat(dhcp.host()).isEqualTo("en0");
    assertThat(dhcp).hasToString("dhcp://en0");
    assertThat(dhcp.through("PROXY")).isSameAs(dhcp); // respect-rules does not move them
    assertThat(Nameserver.parse("dhcp://eth0#PROXY").warnings())
        .singleElement()
        .asString()
        .contains("'#PROXY' is ignored");
    for (String bad : List.of("dhcp://", "dhcp://a/b", "dhcp://sixteen-chars-xx", "dhcp://..")) {
      assertThatThrownBy(() -> Nameserver.parse(bad))
          .as(bad)
          .hasMessageContaining("dhcp:// takes an interface name");
    }
  }

  @Test
  void rejectsMalformedEntries() {
    for (String bad :
        List.of(
            "https://1.1.1.1/dns query",
            "1.2.3",
            "1.2.3.256",
            "1.2.3.4:0",
            "1.2.3.4:70000",
            "1.2.3.4:x",
            "ftp://198.51.100.1",
            "bad_host name",
            "-leading.example",
            "[2001:db8::1",
            "")) {
      assertThatThrownBy(() -> Nameserver.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("accepted forms");
    }
  }
}
