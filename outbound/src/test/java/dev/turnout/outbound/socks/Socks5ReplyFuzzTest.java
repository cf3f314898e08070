package dev.turnout.outbound.socks;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.ReplyFuzz;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.socksx.v5.Socks5CommandType;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a SOCKS5 server sends back, fuzzed: the handshake replies and UDP relay packets. */
class Socks5ReplyFuzzTest {
  private static final HexFormat HEX = HexFormat.of();

  @Test
  void handshakeReplies() throws Exception {
    ReplyFuzz.run(
        0x5005L,
        3_000,
        () -> {
          EmbeddedChannel ch = new EmbeddedChannel();
          new Socks5Handshake(
                  "u",
                  "p",
                  Socks5Handshake.commandRequest(
                      Socks5CommandType.CONNECT, new Destination("www.example.com", null, 443)),
                  ch.eventLoop().newPromise())
              .install(ch);
          ReferenceCountUtil.release(ch.readOutbound()); // the greeting
          return ch;
        },
        List.of(
            HEX.parseHex("0502" + "0100" + "050000010a00000101bb"),
            HEX.parseHex("0500" + "05000003" + "0b" + "6578616d706c652e636f6d" + "01bb"),
            HEX.parseHex("0500" + "050000040000000000000000000000000000000101bb" + "68656c6c6f"),
            HEX.parseHex("0502" + "0101"),
            HEX.parseHex("05ff")));
  }

  @Test
  void udpRelayPackets() throws Exception {
    InetSocketAddress relay = new InetSocketAddress("127.0.0.1", 1080);
    ReplyFuzz.run(
        0x5006L,
        3_000,
        () -> new EmbeddedChannel(new Socks5DatagramCodec(relay)),
        List.of(
            HEX.parseHex("000000" + "01cb007105" + "0035" + "abcdef"),
            HEX.parseHex("000000" + "03" + "0b6578616d706c652e636f6d" + "01bb" + "00"),
            HEX.parseHex("000001" + "01cb007105" + "0035")),
        bytes -> new DatagramPacket(bytes, null, relay));
  }
}
