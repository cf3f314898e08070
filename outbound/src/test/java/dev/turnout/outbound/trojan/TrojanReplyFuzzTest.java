package dev.turnout.outbound.trojan;

import dev.turnout.outbound.ReplyFuzz;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a Trojan server sends back over a UDP association, fuzzed. */
class TrojanReplyFuzzTest {
  @Test
  void udpPackets() throws Exception {
    HexFormat hex = HexFormat.of();
    ReplyFuzz.run(
        0x7207L,
        3_000,
        () -> new EmbeddedChannel(new TrojanDatagramCodec("tj")),
        List.of(
            hex.parseHex("01cb007105" + "0035" + "0003" + "0d0a" + "616263"),
            hex.parseHex("03" + "0b6578616d706c652e636f6d" + "01bb" + "0000" + "0d0a"),
            hex.parseHex(
                "04"
                    + "20010db8000000000000000000000001"
                    + "0035"
                    + "0001"
                    + "0d0a"
                    + "ff"
                    + "01cb007105"
                    + "0035"
                    + "0000"
                    + "0d0a")));
  }
}
