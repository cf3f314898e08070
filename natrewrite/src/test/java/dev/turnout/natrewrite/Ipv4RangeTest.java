package dev.turnout.natrewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.IpLiterals;
import org.junit.jupiter.api.Test;

class Ipv4RangeTest {
  @Test
  void cidrAndHosts() {
    assertThat(Ipv4Range.ofCidr("198.18.5.5/15").toString()).isEqualTo("198.18.0.0-198.19.255.255");
    assertThat(Ipv4Range.hostsOfCidr("198.19.0.0/16").toString())
        .isEqualTo("198.19.0.1-198.19.255.254");
    assertThat(Ipv4Range.ofCidr("0.0.0.0/0").size()).isEqualTo(1L << 32);
  }

  @Test
  void containsComparesUnsigned() {
    Ipv4Range range = Ipv4Range.ofCidr("198.18.0.0/15");
    assertThat(range.contains(IpLiterals.parseIpv4("198.19.255.255"))).isTrue();
    assertThat(range.contains(IpLiterals.parseIpv4("198.20.0.0"))).isFalse();
    assertThat(range.contains(IpLiterals.parseIpv4("10.0.0.1"))).isFalse();
  }

  @Test
  void rejectsNonsense() {
    assertThatThrownBy(() -> Ipv4Range.ofCidr("198.18.0.0"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4Range.ofCidr("198.18.0.0/33"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4Range.ofCidr("198.18.0/16"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4Range.ofCidr("example.com/16"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4Range.hostsOfCidr("10.0.0.1/31"))
        .isInstanceOf(IllegalArgumentException.class);
    // Parsed as everywhere else: no leading zeros, no signs, IPv4 only.
    assertThatThrownBy(() -> Ipv4Range.ofCidr("0001.18.0.0/16"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4Range.ofCidr("198.18.0.0/+16"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4Range.ofCidr("2001:db8::/32"))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
