package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Ipv6Test {
  @Test
  void halvesAreTheNetworkOrderBits() {
    InetAddress a = IpLiterals.parse("2001:db8::1");
    assertThat(Ipv6.high(a)).isEqualTo(0x20010db800000000L);
    assertThat(Ipv6.low(a)).isEqualTo(1L);
    assertThat(Ipv6.address(0x20010db800000000L, 1L)).isEqualTo(a);
  }

  @Test
  void halvesRoundTripForRandomAddressesIncludingMappedOnes() {
    SplittableRandom random = new SplittableRandom(6);
    for (int i = 0; i < 10_000; i++) {
      long high = i % 10 == 0 ? 0 : random.nextLong();
      long low = i % 10 == 0 ? 0xffff00000000L | random.nextInt() & 0xffffffffL : random.nextLong();
      Inet6Address address = Ipv6.address(high, low);
      assertThat(Ipv6.high(address)).isEqualTo(high);
      assertThat(Ipv6.low(address)).isEqualTo(low);
    }
  }

  @Test
  void masksCoverThePrefixInEachHalf() {
    assertThat(Ipv6.highMask(0)).isZero();
    assertThat(Ipv6.highMask(48)).isEqualTo(0xffffffffffff0000L);
    assertThat(Ipv6.highMask(64)).isEqualTo(-1L);
    assertThat(Ipv6.highMask(128)).isEqualTo(-1L);
    assertThat(Ipv6.lowMask(64)).isZero();
    assertThat(Ipv6.lowMask(65)).isEqualTo(0x8000000000000000L);
    assertThat(Ipv6.lowMask(128)).isEqualTo(-1L);
    assertThatThrownBy(() -> Ipv6.highMask(129)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void addressesAreWrittenAsRfc5952Says() {
    String[][] cases = {
      {"2001:db8:0:0:0:0:0:1", "2001:db8::1"},
      {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"},
      {"2001:0:0:1:0:0:0:1", "2001:0:0:1::1"},
      {"2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"},
      {"0:0:0:0:0:0:0:0", "::"},
      {"0:0:0:0:0:0:0:1", "::1"},
      {"fe80:0:0:0:0:0:0:0", "fe80::"},
      {"FDFE:DCBA:9876::ABCD", "fdfe:dcba:9876::abcd"},
      {"198.51.100.7", "198.51.100.7"},
    };
    for (String[] c : cases) {
      assertThat(IpLiterals.format(IpLiterals.parse(c[0]))).as(c[0]).isEqualTo(c[1]);
    }
    assertThat(IpLiterals.format(IpLiterals.parse("2001:db8::80"), 80))
        .isEqualTo("[2001:db8::80]:80");
    assertThat(IpLiterals.format(IpLiterals.parse("203.0.113.10"), 80))
        .isEqualTo("203.0.113.10:80");
  }

  @Test
  void formattedAddressesParseBackForRandomValues() {
    SplittableRandom random = new SplittableRandom(5952);
    for (int i = 0; i < 10_000; i++) {
      long high = random.nextLong() & (random.nextBoolean() ? 0xffff0000ffffffffL : -1L);
      long low = random.nextLong() & (random.nextBoolean() ? 0xffffffff0000L : -1L);
      Inet6Address address = Ipv6.address(high, low);
      String text = IpLiterals.format(address);
      assertThat(IpLiterals.parseBytes(text)).as(text).isEqualTo(address.getAddress());
      assertThat(text).doesNotContain(":::");
    }
  }

  @Test
  void anIpv4AddressHasNoHalves() {
    assertThatThrownBy(() -> Ipv6.high(IpLiterals.parse("198.18.0.1")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
