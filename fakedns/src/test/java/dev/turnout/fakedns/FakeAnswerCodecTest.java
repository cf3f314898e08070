package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.net.InetAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Type;

/** Hand-built queries and the bytes of their answers (see also FakeAnswerEquivalenceTest). */
class FakeAnswerCodecTest {
  private static final HexFormat HEX = HexFormat.of();
  // ID 0xbeef, RD; one question: Ab.c IN A
  private static final String HEADER = "beef0100000100000000";
  private static final String QUESTION = "0241620163000001" + "0001";

  @Test
  void anAQueryGetsItsQuestionBackAndAPointerToItsName() throws Exception {
    ByteBuf query = query(HEADER + "0000" + QUESTION);
    int end = FakeAnswerCodec.questionEnd(query);
    assertThat(end).isEqualTo(12 + 6 + 4);
    assertThat(FakeAnswerCodec.name(query, end)).isEqualTo("Ab.c");
    assertThat(FakeAnswerCodec.type(query, end)).isEqualTo(Type.A);
    ByteBuf answer = answer(query, end, Rcode.NOERROR, InetAddress.getByName("198.18.0.9"));
    assertThat(HEX.formatHex(ByteBufUtil.getBytes(answer)))
        .isEqualTo("beef8180000100010000" + "0000" + QUESTION + "c00c00010001000000010004c6120009");
    answer.release();
  }

  @Test
  void anOptRecordIsAnsweredWithOursAndAServfailHasNoRecord() {
    String opt = "00" + "0029" + "1000" + "00008000" + "0000"; // 4096, version 0, DO, no options
    ByteBuf query = query(HEADER + "0001" + QUESTION + opt);
    int end = FakeAnswerCodec.questionEnd(query);
    ByteBuf answer = answer(query, end, Rcode.SERVFAIL, null);
    assertThat(HEX.formatHex(ByteBufUtil.getBytes(answer)))
        .isEqualTo("beef8182000100000000" + "0001" + QUESTION + "00002904d0000000000000");
    answer.release();
  }

  @Test
  void everythingElseIsLeftToDnsjava() {
    String[] others = {
      HEADER + "0000" + "0241620163000001" + "0003", // class CH
      HEADER + "0000" + "024162016300" + "0010" + "0001", // TXT
      HEADER + "0000" + "00" + "0001" + "0001", // the root
      HEADER + "0000" + "0241620163c00c" + "00010001", // a compression pointer
      HEADER + "0000" + "0241200163000001" + "0001", // a space, which dnsjava escapes
      HEADER + "0000" + QUESTION + "00", // a trailing byte
      HEADER + "0000" + "02416201630000", // cut short
      "beef0900000100000000" + "0000" + QUESTION, // opcode IQUERY
      "beef8100000100000000" + "0000" + QUESTION, // a response
      HEADER + "0001" + QUESTION + "00" + "0029" + "1000" + "00010000" + "0000", // EDNS 1
      HEADER
          + "0001"
          + QUESTION
          + "00"
          + "0029"
          + "1000"
          + "00000000"
          + "0008"
          + "000a0004"
          + "00000000", // an option
      "beef0100000200000000" + "0000" + QUESTION + QUESTION, // two questions
    };
    for (String hex : others) {
      assertThat(FakeAnswerCodec.questionEnd(query(hex))).as(hex).isEqualTo(-1);
    }
  }

  private static ByteBuf query(String hex) {
    ByteBuf framed = Unpooled.buffer().writeBytes(new byte[] {7, 7}); // not at index 0
    framed.writeBytes(HEX.parseHex(hex));
    framed.skipBytes(2);
    return framed;
  }

  private static ByteBuf answer(ByteBuf query, int end, int rcode, InetAddress address) {
    return FakeAnswerCodec.answer(
        UnpooledByteBufAllocator.DEFAULT, query, end, rcode, address, 1, 1232);
  }
}
