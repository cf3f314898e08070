package dev.turnout.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.fakedns.FakeIpPool;
import dev.turnout.natrewrite.NatTable;
import dev.turnout.natrewrite.PacketRewriter;
import dev.turnout.natrewrite.Verdict;
import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.relay.Origin;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * An IPv6 flow to a fake IPv6 address, from the SYN through the rewriter to the relay's claim: the
 * origin names the host behind the address, which stays pinned (never handed to another name) until
 * the relay releases the flow, as for IPv4.
 */
class NatOrigins6Test {
  private static final Inet6Address TUN6 = v6("fdfe:dcba:9876::1");
  private static final int RELAY_PORT = 7890;

  private final NatTable nat =
      NatTable.builder(ipv4("198.19.0.1"), ipv4("198.19.255.254"), 1024, 65535)
          .ipv6Pool(v6("fdfe:dcba:9876:0:8000::"), 256, TUN6)
          .build();
  private final FakeIpPool pool4 = FakeIpPool.ofCidr("198.18.0.0/24");
  private final FakeIpPool pool6 = FakeIpPool.of(IpLiterals.parse("fdfe:dcba:9876::2"), 1000);
  private final NatOrigins origins = new NatOrigins(nat, new FakePools(pool4, pool6));
  private final PacketRewriter rewriter =
      PacketRewriter.builder(IpLiterals.parseIpv4("198.18.0.1"), RELAY_PORT, nat)
          .captured(ipv4("198.18.0.0"), ipv4("198.19.255.255"))
          .ipv6(TUN6, Cidr.parseMasking("fdfe:dcba:9876::/64"))
          .build();

  private static Inet6Address v6(String text) {
    return (Inet6Address) IpLiterals.parse(text);
  }

  private static int ipv4(String text) {
    return Ipv4.toInt(IpLiterals.parseIpv4(text));
  }

  /** A 60-byte IPv6 SYN from the TUN address; its checksum is not needed by the rewriter. */
  private static ByteBuffer syn(InetAddress destination, int sourcePort, int destinationPort) {
    ByteBuffer b = ByteBuffer.allocate(60);
    b.putInt(0, 0x6000_0000).putShort(4, (short) 20).put(6, (byte) 6).put(7, (byte) 64);
    b.put(8, TUN6.getAddress()).put(24, destination.getAddress());
    b.putShort(40, (short) sourcePort).putShort(42, (short) destinationPort);
    b.put(52, (byte) 0x50).put(53, (byte) 0x02).putShort(54, (short) 65535);
    return b;
  }

  /** Rewrites the SYN; returns the session endpoint the relay sees it from. */
  private InetSocketAddress toRelay(InetAddress destination, int sourcePort) throws Exception {
    ByteBuffer packet = syn(destination, sourcePort, 443);
    assertThat(rewriter.rewrite(packet)).isEqualTo(Verdict.FORWARD);
    byte[] source = new byte[16];
    packet.get(8, source);
    return new InetSocketAddress(InetAddress.getByAddress(source), packet.getShort(40) & 0xffff);
  }

  @Test
  void anIpv6FlowToAFakeAddressNamesItsHostAndPinsTheAddressUntilReleased() throws Exception {
    InetAddress fake = pool6.addressFor("v6.example.test");
    InetSocketAddress peer = toRelay(fake, 40000);

    Optional<Origin> origin = origins.claim(peer);
    assertThat(origin).isPresent();
    assertThat(origin.get().host()).isEqualTo("v6.example.test");
    assertThat(origin.get().dialed()).isEqualTo(new InetSocketAddress(fake, 443));
    assertThat(pool6.pinnedCount()).isEqualTo(1);
    assertThat(pool4.pinnedCount()).isZero();

    origins.release(peer);
    assertThat(pool6.pinnedCount()).isZero();
  }

  @Test
  void aFakeIpv6AddressNoNameMapsToIsRefusedAndItsEntryLetGo() throws Exception {
    InetSocketAddress peer = toRelay(IpLiterals.parse("fdfe:dcba:9876::99"), 40001);
    assertThat(origins.claim(peer)).isEmpty();
    assertThat(pool6.pinnedCount()).isZero();
    assertThat(origins.claim(peer)).as("released, not claimable again").isEmpty();
  }
}
