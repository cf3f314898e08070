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
  void rejectsNamesAndOtherSchemes() {
    for (String bad :
        List.of(
            "dns.google",
            "tls://dns.google",
            "https://dns.google/dns-query",
            "https://1.1.1.1/dns query",
            "quic://1.1.1.1",
            "1.2.3",
            "1.2.3.256",
            "1.2.3.4:0",
            "1.2.3.4:70000",
            "1.2.3.4:x",
            "dhcp://eth0",
            "deadbeef",
            "[2001:db8::1",
            "")) {
      assertThatThrownBy(() -> Nameserver.parse(bad))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("accepted forms");
    }
  }
}
