package dev.turnout.outbound.transport;

import dev.turnout.outbound.ReplyFuzz;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a gRPC (gun) transport server sends back, fuzzed. */
class GunReplyFuzzTest {
  @Test
  void grpcMessages() throws Exception {
    HexFormat hex = HexFormat.of();
    ReplyFuzz.run(
        0x6075L,
        3_000,
        () -> new EmbeddedChannel(new GunCodec()),
        List.of(
            hex.parseHex("0000000007" + "0a05" + "68656c6c6f"),
            hex.parseHex("000000012f" + "0aac02" + "00".repeat(300)),
            hex.parseHex("0000000000")));
  }
}
