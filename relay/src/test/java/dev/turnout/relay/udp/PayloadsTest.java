package dev.turnout.relay.udp;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.util.ResourceLeakDetector;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PayloadsTest {
  final ByteBufAllocator alloc = ByteBufAllocator.DEFAULT;

  @Test
  void aRightSizedBufferIsKept() {
    ByteBuf payload = Unpooled.directBuffer(100).writeBytes(new byte[90]);
    assertThat(Payloads.compact(payload, alloc)).isSameAs(payload);
    payload.release();
  }

  @Test
  void aRightSizedBufferWatchedForLeaksIsKeptToo() {
    // Netty wraps one allocation in 128 to watch it for leaks; at PARANOID, every one.
    ResourceLeakDetector.Level level = ResourceLeakDetector.getLevel();
    ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
    try {
      ByteBuf payload = Unpooled.directBuffer(100).writeBytes(new byte[90]);
      assertThat(payload.unwrap()).as("the detector's wrapper").isNotNull();
      assertThat(Payloads.compact(payload, alloc)).isSameAs(payload);
      payload.release();
    } finally {
      ResourceLeakDetector.setLevel(level);
    }
  }

  @Test
  void aSliceOfALargerReadBufferBecomesItsOwnCopyAndLetsTheBufferGo() {
    ByteBuf read = Unpooled.directBuffer(4 * 65536);
    read.writerIndex(65536).writeCharSequence("one datagram", StandardCharsets.US_ASCII);
    ByteBuf slice = read.retainedSlice(65536, 12);
    read.release(); // the channel's reference; the slice keeps the buffer alive

    ByteBuf compact = Payloads.compact(slice, alloc);
    assertThat(compact).isNotSameAs(slice);
    assertThat(compact.capacity()).isEqualTo(12);
    assertThat(compact.toString(StandardCharsets.US_ASCII)).isEqualTo("one datagram");
    assertThat(read.refCnt()).as("the read buffer is free").isZero();
    compact.release();
  }

  @Test
  void aSmallDatagramInALargeBufferIsCopiedToo() {
    ByteBuf payload = Unpooled.directBuffer(65536).writeBytes(new byte[1400]);
    ByteBuf compact = Payloads.compact(payload, alloc);
    assertThat(compact.capacity()).isEqualTo(1400);
    assertThat(payload.refCnt()).isZero();
    compact.release();
  }
}
