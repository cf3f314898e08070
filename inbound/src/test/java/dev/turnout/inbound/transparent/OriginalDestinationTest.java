package dev.turnout.inbound.transparent;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import org.junit.jupiter.api.Test;

/** The sockaddr that SO_ORIGINAL_DST and IP6T_SO_ORIGINAL_DST fill in. */
class OriginalDestinationTest {
  @Test
  void readsASockaddrIn() {
    byte[] in = {2, 0, 0x1f, (byte) 0x90, (byte) 203, 0, 113, 10, 0, 0, 0, 0, 0, 0, 0, 0};
    assertThat(OriginalDestination.read(in)).isEqualTo(new InetSocketAddress("203.0.113.10", 8080));
  }

  @Test
  void readsASockaddrIn6() {
    byte[] in6 = new byte[28];
    in6[0] = 10;
    in6[2] = 0x01;
    in6[3] = (byte) 0xbb;
    byte[] address = {0x20, 0x01, 0x0d, (byte) 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x53};
    System.arraycopy(address, 0, in6, 8, 16);
    assertThat(OriginalDestination.read(in6)).isEqualTo(new InetSocketAddress("2001:db8::53", 443));
  }

  @Test
  void anythingElseIsNull() {
    assertThat(OriginalDestination.read(new byte[0])).isNull();
    assertThat(OriginalDestination.read(new byte[] {2, 0, 0, 80, 1})).as("cut short").isNull();
    assertThat(OriginalDestination.read(new byte[16])).as("family 0").isNull();
    assertThat(OriginalDestination.read(new byte[] {10, 0, 0, 80, 0, 0, 0, 0, 1, 2}))
        .as("IPv6 cut short")
        .isNull();
  }
}
