package dev.turnout.outbound.wireguard;

import static org.assertj.core.api.Assertions.assertThat;

import dev.turnout.netbase.Cidr;
import dev.turnout.netbase.ManualTimeSource;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A recorded exchange with a real peer (wireguard-go, see the resource's header): the engine, given
 * the same keys, randomness and clock, sends byte for byte what it sent then, accepts
 * wireguard-go's handshake response, and opens wireguard-go's transport message into the ICMP echo
 * reply the peer's kernel sent. So the handshake and transport crypto interoperate without a
 * network.
 */
class WireGuardGoExchangeTest {
  private final List<byte[]> out = new ArrayList<>();
  private final List<byte[]> in = new ArrayList<>();
  private byte[] delivered;

  @Test
  void interoperatesWithRecordedWireGuardGo() throws Exception {
    read();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    byte[] own = sha.digest("turnout own".getBytes(StandardCharsets.US_ASCII));
    byte[] peer = sha.digest("turnout peer".getBytes(StandardCharsets.US_ASCII));
    List<ByteBuf> sent = new ArrayList<>();
    List<ByteBuf> device = new ArrayList<>();
    Tunnel tunnel =
        new Tunnel(
            "recorded",
            new Peer(
                new StaticKeys(own, Noise.publicKey(peer), null),
                new byte[3],
                List.of(Cidr.parseMasking("203.0.113.0/24")),
                1420,
                0),
            new ManualTimeSource(),
            new Random(2026),
            UnpooledByteBufAllocator.DEFAULT,
            new Tunnel.Wire() {
              @Override
              public void toPeer(ByteBuf datagram) {
                sent.add(datagram);
              }

              @Override
              public void toDevice(ByteBuf packet) {
                device.add(packet);
              }
            });
    tunnel.outgoing(Unpooled.wrappedBuffer(ping()));
    assertThat(sent).hasSize(1);
    assertThat(TunnelTest.bytes(sent.get(0))).as("the initiation").isEqualTo(out.get(0));
    tunnel.incoming(Unpooled.wrappedBuffer(in.get(0)));
    assertThat(tunnel.stats().handshakes).as("wireguard-go's response accepted").isEqualTo(1);
    assertThat(TunnelTest.bytes(sent.get(1))).as("the ping, sealed").isEqualTo(out.get(1));
    tunnel.incoming(Unpooled.wrappedBuffer(in.get(1)));
    assertThat(device).hasSize(1);
    byte[] reply = TunnelTest.bytes(device.get(0));
    assertThat(reply).isEqualTo(delivered);
    assertThat(reply[20]).as("ICMP echo reply").isEqualTo((byte) 0);
    assertThat(Arrays.copyOfRange(reply, 12, 16)).containsExactly(203, 0, 113, 201);
    assertThat(new String(reply, 28, reply.length - 28, StandardCharsets.US_ASCII))
        .isEqualTo("turnout wireguard");
    sent.forEach(ByteBuf::release);
    device.forEach(ByteBuf::release);
  }

  private void read() throws IOException {
    try (InputStream s = getClass().getResourceAsStream("/wireguard/wireguard-go-exchange.txt")) {
      for (String line : new String(s.readAllBytes(), StandardCharsets.US_ASCII).split("\n")) {
        if (line.startsWith("#") || line.isBlank()) {
          continue;
        }
        String[] f = line.split(" ");
        byte[] bytes = HexFormat.of().parseHex(f[1]);
        switch (f[0]) {
          case "out" -> out.add(bytes);
          case "in" -> in.add(bytes);
          default -> delivered = bytes;
        }
      }
    }
  }

  /** An ICMP echo request from 203.0.113.202 to 203.0.113.201, checksums filled in. */
  static byte[] ping() {
    byte[] payload = "turnout wireguard".getBytes(StandardCharsets.US_ASCII);
    byte[] p = new byte[28 + payload.length];
    p[0] = 0x45;
    p[2] = (byte) (p.length >> 8);
    p[3] = (byte) p.length;
    p[4] = 0x12;
    p[8] = 64;
    p[9] = 1; // ICMP
    byte[] addresses = {(byte) 203, 0, 113, (byte) 202, (byte) 203, 0, 113, (byte) 201};
    System.arraycopy(addresses, 0, p, 12, 8);
    int sum = checksum(p, 0, 20);
    p[10] = (byte) (sum >> 8);
    p[11] = (byte) sum;
    p[20] = 8; // echo request, id 256, sequence 1
    p[24] = 0x01;
    p[27] = 0x01;
    System.arraycopy(payload, 0, p, 28, payload.length);
    int icmp = checksum(p, 20, p.length - 20);
    p[22] = (byte) (icmp >> 8);
    p[23] = (byte) icmp;
    return p;
  }

  static int checksum(byte[] b, int offset, int length) {
    long sum = 0;
    for (int i = 0; i < length; i += 2) {
      int hi = b[offset + i] & 0xff;
      int lo = i + 1 < length ? b[offset + i + 1] & 0xff : 0;
      sum += hi << 8 | lo;
    }
    while (sum >> 16 != 0) {
      sum = (sum & 0xffff) + (sum >> 16);
    }
    return (int) (~sum & 0xffff);
  }
}
