package dev.turnout.outbound.vless;

import dev.turnout.outbound.ReplyFuzz;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a VLESS server sends back, fuzzed: the response header with and without addons. */
class VlessReplyFuzzTest {
  @Test
  void responses() throws Exception {
    ReplyFuzz.run(
        0x71e55L,
        3_000,
        () -> new EmbeddedChannel(new VlessResponseDecoder()),
        List.of(new byte[] {0, 0, 'h', 'i'}, new byte[] {0, 2, 9, 9, 'x', 'y'}, new byte[] {0, 0}));
  }
}
