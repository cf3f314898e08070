package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CidrTest {

  @Test
  void masksOrRefusesHostBitsAsAsked() {
    Cidr masked = Cidr.parseMasking("198.18.5.5/15");
    assertThat(masked.toString()).isEqualTo("198.18.0.0/15");
    assertThat(masked.firstIpv4()).isEqualTo(Ipv4.toInt(IpLiterals.parse("198.18.0.0")));
    assertThat(masked.lastIpv4()).isEqualTo(Ipv4.toInt(IpLiterals.parse("198.19.255.255")));
    assertThat(masked.last().getHostAddress()).isEqualTo("198.19.255.255");
    assertThat(masked.size()).isEqualTo(1L << 17);
    assertThatThrownBy(() -> Cidr.parseStrict("198.18.5.5/15"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("host bits")
        .hasMessageContaining("198.18.0.0/15");
    assertThat(Cidr.parseStrict("198.18.0.0/15")).isEqualTo(masked);
  }

  @Test
  void containsByFamily() {
    Cidr v4 = Cidr.parseStrict("203.0.113.0/24");
    assertThat(v4.contains(IpLiterals.parse("203.0.113.255"))).isTrue();
    assertThat(v4.contains(IpLiterals.parse("203.0.114.0"))).isFalse();
    assertThat(v4.contains(Ipv4.toInt(IpLiterals.parse("203.0.113.1")))).isTrue();
    assertThat(v4.contains(IpLiterals.parse("::ffff:203.0.113.1"))).isTrue();
    assertThat(v4.contains(IpLiterals.parse("2001:db8::1"))).isFalse();
    Cidr v6 = Cidr.parseMasking("2001:db8::1/33");
    assertThat(v6.toString()).isEqualTo("2001:db8:0:0:0:0:0:0/33");
    assertThat(v6.contains(IpLiterals.parse("2001:db8:7fff::1"))).isTrue();
    assertThat(v6.contains(IpLiterals.parse("2001:db8:8000::"))).isFalse();
    assertThat(v6.contains(0)).isFalse();
    assertThat(v6.last().getHostAddress()).isEqualTo("2001:db8:7fff:ffff:ffff:ffff:ffff:ffff");
    assertThat(v6.size()).isEqualTo(Long.MAX_VALUE);
    assertThat(Cidr.parseStrict("2001:db8::/120").size()).isEqualTo(256);
    assertThatThrownBy(v6::firstIpv4).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void theWholeSpaceAndSingleHosts() {
    assertThat(Cidr.parseStrict("0.0.0.0/0").size()).isEqualTo(1L << 32);
    assertThat(Cidr.parseStrict("0.0.0.0/0").contains(-1)).isTrue();
    assertThat(Cidr.parseStrict("::/0").contains(IpLiterals.parse("::1"))).isTrue();
    assertThat(Cidr.host(IpLiterals.parse("192.0.2.1")).toString()).isEqualTo("192.0.2.1/32");
    assertThat(Cidr.of(IpLiterals.parse("192.0.2.77"), 26).toString()).isEqualTo("192.0.2.64/26");
  }

  @Test
  void anIpv4MappedPrefixIsTheIpv4Prefix() {
    assertThat(Cidr.parseMasking("::ffff:198.18.0.0/111"))
        .isEqualTo(Cidr.parseStrict("198.18.0.0/15"));
    assertThatThrownBy(() -> Cidr.parseMasking("::ffff:0.0.0.0/80"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "198.18.0.0",
        "198.18.0.0/33",
        "198.18.0.0/-1",
        "198.18.0.0/+8",
        "198.18.0.0/08",
        "198.18.0.0/",
        "198.18.0.0/ 8",
        "198.18.0/16",
        "example.com/16",
        "0001.0.0.0/8",
        "2001:db8::/129",
        "2001:db8::/1000",
        "fe80::%eth0/64",
        "/8",
      })
  void rejects(String text) {
    assertThatThrownBy(() -> Cidr.parseMasking(text)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Cidr.parseStrict(text)).isInstanceOf(IllegalArgumentException.class);
  }
}
