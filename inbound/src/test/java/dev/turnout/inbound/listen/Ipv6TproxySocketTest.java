package dev.turnout.inbound.listen;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/**
 * The control messages recvmsg(2) hands an IPv6 TPROXY socket, as the kernel lays them out (64-bit
 * cmsghdr, then a sockaddr_in6). The socket itself is exercised by InboundIT's TPROXY test.
 */
class Ipv6TproxySocketTest {
  private static ByteBuffer control(int... levelsAndTypes) throws Exception {
    ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.nativeOrder());
    for (int i = 0; i < levelsAndTypes.length; i += 2) {
      int at = b.position();
      b.putLong(16 + 28).putInt(levelsAndTypes[i]).putInt(levelsAndTypes[i + 1]);
      b.putShort((short) 10).put((byte) 0).put((byte) 7); // family, port 7 (big-endian)
      b.putInt(0).put(InetAddress.getByName("2001:db8:113::10").getAddress()).putInt(0);
      b.position(at + 48); // CMSG_ALIGN(44)
    }
    b.flip();
    return b;
  }

  @Test
  void theOriginalDestinationIsFoundAmongTheControlMessages() throws Exception {
    InetSocketAddress expected = new InetSocketAddress("2001:db8:113::10", 7);
    assertThat(Ipv6TproxySocket.originalDestination(control(41, 74))).isEqualTo(expected);
    assertThat(Ipv6TproxySocket.originalDestination(control(41, 50, 41, 74)))
        .isEqualTo(expected); // after another message (IPV6_PKTINFO, say)
    assertThat(Ipv6TproxySocket.originalDestination(control(41, 50))).isNull();
    assertThat(Ipv6TproxySocket.originalDestination(control())).isNull();
    ByteBuffer lying = control(41, 74);
    lying.putLong(0, 4096); // a length past the buffer
    assertThat(Ipv6TproxySocket.originalDestination(lying)).isNull();
  }
}
