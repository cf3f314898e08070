package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.ReplyFuzz;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** What a Shadowsocks server (and its plugins) send back, fuzzed: streams, UDP, obfs, mux. */
class ShadowsocksReplyFuzzTest {
  private static final InetSocketAddress SERVER = new InetSocketAddress("127.0.0.1", 8388);

  @Test
  void streams() throws Exception {
    for (SsCipher c : SsCipher.values()) {
      byte[] master = c.masterKey("pw");
      List<byte[]> samples = new ArrayList<>();
      EmbeddedChannel enc = new EmbeddedChannel(new SsStreamEncoder(c, master, new Random(1)));
      enc.writeOutbound(Unpooled.copiedBuffer("hello, world", StandardCharsets.US_ASCII));
      enc.writeOutbound(Unpooled.wrappedBuffer(new byte[3_000]));
      ByteBuf wire = Unpooled.buffer();
      for (ByteBuf b; (b = enc.readOutbound()) != null; b.release()) {
        wire.writeBytes(b);
      }
      samples.add(ByteBufUtil.getBytes(wire, 0, Math.min(wire.readableBytes(), 200)));
      samples.add(ByteBufUtil.getBytes(wire));
      wire.release();
      ReplyFuzz.run(
          0x55L + c.ordinal(),
          3_000,
          () -> new EmbeddedChannel(new SsStreamDecoder(c, master)),
          samples);
    }
  }

  @Test
  void udpPackets() throws Exception {
    SsCipher c = SsCipher.AES_128_GCM;
    byte[] master = c.masterKey("pw");
    ByteBuf plain = Unpooled.buffer();
    SocksAddress.write(new Destination("www.example.com", null, 53), plain);
    plain.writeBytes(new byte[] {1, 2, 3});
    ByteBuf sealed = SsDatagramCodec.seal(c, master, new Random(2), plain);
    plain.release();
    byte[] sample = ByteBufUtil.getBytes(sealed);
    sealed.release();
    ReplyFuzz.run(
        0x56L,
        3_000,
        () -> new EmbeddedChannel(new SsDatagramCodec("ss", c, master, new Random(3), SERVER)),
        List.of(sample),
        bytes -> new DatagramPacket(bytes, null, SERVER));
  }

  @Test
  void obfsAndMuxReplies() throws Exception {
    ReplyFuzz.run(
        0x57L,
        3_000,
        () -> new EmbeddedChannel(new ObfsTlsCodec("h", new Random(1), 0)),
        List.of());
    ReplyFuzz.run(0x58L, 3_000, () -> new EmbeddedChannel(new MuxCoolCodec()), List.of());
  }
}
