package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IpLiteralsTest {

  /** The cases on which Turnout's five earlier parsers disagreed, and their neighbours. */
  @ParameterizedTest
  @ValueSource(
      strings = {
        "0001.2.3.4",
        "1.2.3.0001",
        "+1.2.3.4",
        "1.+2.3.4",
        "-1.2.3.4",
        "01.2.3.4",
        "1.2.3.04",
        "00.0.0.0",
        "1.2.3",
        "1.2.3.4.5",
        "1.2.3.",
        ".1.2.3",
        "1..2.3",
        "256.0.0.1",
        "1.2.3.4 ",
        " 1.2.3.4",
        "1.2.3.4\n",
        "1.2.3.٤", // an Arabic-Indic digit: Character.digit would take it
        "0x1.2.3.4",
        "1:2",
        "1::2::3",
        ":::",
        ":1::",
        "1::2:",
        "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7:8::",
        "::1:2:3:4:5:6:7:8",
        "12345::",
        "g::",
        "fe80::1%eth0",
        "fe80::1%1",
        "[::1]",
        "::1.2.3",
        "::01.2.3.4",
        "1:2:3:4:5:6:7:1.2.3.4",
        "::1.2.3.4:5",
        "::ffff:256.1.1.1",
        "",
        "example.com",
      })
  void rejects(String text) {
    assertThat(IpLiterals.parseOrNull(text)).isNull();
    assertThat(IpLiterals.parseBytes(text)).isNull();
    assertThatThrownBy(() -> IpLiterals.parse(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parsesDottedQuads() {
    assertThat(IpLiterals.parse("0.0.0.0").getHostAddress()).isEqualTo("0.0.0.0");
    assertThat(IpLiterals.parse("198.51.100.7")).isInstanceOf(Inet4Address.class);
    assertThat(IpLiterals.parse("255.255.255.255").getAddress())
        .containsExactly(0xff, 0xff, 0xff, 0xff);
    assertThat(IpLiterals.parseIpv4("10.0.0.1").getHostAddress()).isEqualTo("10.0.0.1");
    assertThatThrownBy(() -> IpLiterals.parseIpv4("::1"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("::1");
  }

  @Test
  void parsesTheTextFormsOfRfc4291() throws Exception {
    for (String text :
        new String[] {
          "::",
          "::1",
          "1::",
          "2001:db8::8:800:200c:417a",
          "2001:DB8:0:0:8:800:200C:417A",
          "1:2:3:4:5:6:7::",
          "::2:3:4:5:6:7:8",
          "0001:0002::000f",
          "::13.1.68.3",
          "1:2:3:4:5:6:13.1.68.3",
          "64:ff9b::198.51.100.1",
        }) {
      assertThat(IpLiterals.parse(text)).as(text).isEqualTo(InetAddress.getByName(text));
    }
    assertThat(IpLiterals.parse("::1")).isInstanceOf(Inet6Address.class);
  }

  @Test
  void anIpv4MappedLiteralIsAnIpv4AddressWhoseBytesStayMapped() {
    assertThat(IpLiterals.parse("::ffff:1.2.3.4")).isEqualTo(IpLiterals.parse("1.2.3.4"));
    assertThat(IpLiterals.parse("::ffff:102:304")).isInstanceOf(Inet4Address.class);
    assertThat(IpLiterals.parseBytes("::ffff:1.2.3.4")).hasSize(16).endsWith(1, 2, 3, 4);
  }

  @Test
  void hostsMayBracketIpv6Only() {
    assertThat(IpLiterals.parseHostOrNull("[2001:db8::1]"))
        .isEqualTo(IpLiterals.parse("2001:db8::1"));
    assertThat(IpLiterals.parseHostOrNull("203.0.113.9"))
        .isEqualTo(IpLiterals.parse("203.0.113.9"));
    assertThat(IpLiterals.parseHostOrNull("[203.0.113.9]")).isNull();
    assertThat(IpLiterals.parseHostOrNull("[]")).isNull();
    assertThat(IpLiterals.parseHostOrNull("[::1")).isNull();
    assertThat(IpLiterals.parseHostOrNull(null)).isNull();
    assertThat(IpLiterals.parseHostOrNull("example.com")).isNull();
  }

  @Test
  void aLongHostileInputIsQuotedShort() {
    String junk = "9".repeat(10_000);
    assertThatThrownBy(() -> IpLiterals.parse(junk))
        .isInstanceOf(IllegalArgumentException.class)
        .message()
        .hasSizeLessThan(120);
  }

  @Test
  void convertsIpv4ToIntAndBack() {
    int bits = Ipv4.toInt(IpLiterals.parse("198.51.100.7"));
    assertThat(bits).isEqualTo(0xc6336407);
    assertThat(Ipv4.address(bits).getHostAddress()).isEqualTo("198.51.100.7");
    assertThat(Ipv4.format(0xffffffff)).isEqualTo("255.255.255.255");
    assertThat(Ipv4.mask(0)).isZero();
    assertThat(Ipv4.mask(15)).isEqualTo(0xfffe0000);
    assertThat(Ipv4.mask(32)).isEqualTo(-1);
    assertThatThrownBy(() -> Ipv4.mask(33)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ipv4.toInt(IpLiterals.parse("::1")))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
