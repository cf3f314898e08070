package dev.turnout.outbound.vmess;

import dev.turnout.outbound.ReplyFuzz;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** What a VMess server sends back, fuzzed: mutations of the reference responses of each cipher. */
class VmessReplyFuzzTest {
  @Test
  void responses() throws Exception {
    for (VmessCodecTest.Vectors v : VmessCodecTest.Vectors.values()) {
      ReplyFuzz.run(
          0x7e55L + v.ordinal(),
          1_000,
          () -> {
            VmessCodecTest.Counting random = new VmessCodecTest.Counting();
            VmessSession session = new VmessSession(v.security, random);
            byte[] header = VmessHeader.request(session, VmessCodecTest.TARGET, random);
            byte[] sealed =
                VmessHeader.seal(
                    VmessHeader.commandKey(VmessCodecTest.USER),
                    header,
                    VmessCodecTest.TIME,
                    random);
            return new EmbeddedChannel(new VmessCodec(session, sealed));
          },
          Arrays.asList(HexFormat.of().parseHex(v.response)));
    }
  }
}
