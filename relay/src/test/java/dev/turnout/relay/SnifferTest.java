package dev.turnout.relay;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class SnifferTest {
  private final Sniffer sniffer =
      new Sniffer(
          List.of(new Sniffer.Ports(443, 443)),
          List.of(new Sniffer.Ports(80, 80), new Sniffer.Ports(8080, 8880)),
          List.of(new Sniffer.Ports(443, 443)),
          false,
          true,
          true,
          List.of("skip.example.test", "+.apple.example", "*.one.example"));

  private static ByteBuf http(String host) {
    return Unpooled.copiedBuffer(
        "GET / HTTP/1.1\r\nHost: " + host + "\r\n\r\n", StandardCharsets.US_ASCII);
  }

  @Test
  void onlyFlowsToALiteralAddressOnAPortSniffedForTheirProtocolNotYetRoutedAreSniffed()
      throws Exception {
    InetSocketAddress app = new InetSocketAddress("198.18.0.1", 40000);
    InetAddress server = InetAddress.getByName("203.0.113.10");
    InetSocketAddress dialed = new InetSocketAddress(server, 8080);
    assertThat(sniffer.wants(new Origin(false, app, dialed, null, server))).isTrue();
    assertThat(sniffer.wants(new Origin(true, app, dialed, null, server)))
        .as("UDP, not a QUIC port")
        .isFalse();
    InetSocketAddress quic = new InetSocketAddress(server, 443);
    assertThat(sniffer.wants(new Origin(true, app, quic, null, server))).as("QUIC").isTrue();
    assertThat(sniffer.wants(new Origin(false, app, dialed, "www.example.test", null)))
        .as("a name from DNS")
        .isFalse();
    InetSocketAddress ssh = new InetSocketAddress(server, 22);
    assertThat(sniffer.wants(new Origin(false, app, ssh, null, server))).as("port").isFalse();
    assertThat(Sniffer.OFF.wants(new Origin(false, app, dialed, null, server))).isFalse();
    Origin named = Sniffer.named(new Origin(false, app, dialed, null, server), "a.example.test");
    assertThat(named.host()).isEqualTo("a.example.test");
    assertThat(named.realAddress()).isEqualTo(server);
    assertThat(named.inbound()).isEqualTo(Inbound.TUN);
  }

  @Test
  void aNameIsFoundByTheProtocolOfThePortWithItsOverride() {
    assertThat(sniffer.look(http("www.example.test"), 8080))
        .isEqualTo(new Sniffer.Found("www.example.test", true));
    assertThat(sniffer.look(http("www.example.test"), 443)).as("TLS port, HTTP bytes").isNull();
    assertThat(sniffer.look(Unpooled.copiedBuffer("GET / HT", StandardCharsets.US_ASCII), 80))
        .isSameAs(Sniffer.MORE);
  }

  @Test
  void skipDomainTakesExactNamesSuffixesAndOneLabelWildcards() {
    assertThat(sniffer.look(http("skip.example.test"), 80)).isNull();
    assertThat(sniffer.look(http("apple.example"), 80)).isNull();
    assertThat(sniffer.look(http("www.apple.example"), 80)).isNull();
    assertThat(sniffer.look(http("a.one.example"), 80)).isNull();
    assertThat(sniffer.look(http("a.b.one.example"), 80)).isNotNull();
    assertThat(sniffer.look(http("one.example"), 80)).isNotNull();
    assertThat(sniffer.look(http("notapple.example"), 80)).isNotNull();
  }
}
