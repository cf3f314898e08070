package dev.turnout.outbound;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.AbstractByteBufAllocator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledDirectByteBuf;
import io.netty.buffer.UnpooledHeapByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * An allocator that remembers every buffer it hands out (their {@code alloc()} is this allocator
 * too, so buffers a codec derives from its input are counted), so a test can check that a codec
 * released all of them: a leak check that does not wait for the garbage collector. Not thread-safe;
 * for EmbeddedChannel tests.
 */
public final class RecordingAllocator extends AbstractByteBufAllocator {
  private final List<ByteBuf> allocated = new ArrayList<>();

  @Override
  protected ByteBuf newHeapBuffer(int initialCapacity, int maxCapacity) {
    return record(new UnpooledHeapByteBuf(this, initialCapacity, maxCapacity));
  }

  @Override
  protected ByteBuf newDirectBuffer(int initialCapacity, int maxCapacity) {
    return record(new UnpooledDirectByteBuf(this, initialCapacity, maxCapacity));
  }

  private ByteBuf record(ByteBuf b) {
    allocated.add(b);
    return b;
  }

  @Override
  public boolean isDirectBufferPooled() {
    return false;
  }

  /** How many buffers were handed out so far. */
  public int count() {
    return allocated.size();
  }

  /** Fails unless every buffer handed out so far has been released. */
  public void assertAllReleased() {
    for (ByteBuf b : allocated) {
      assertThat(b.refCnt()).as("a buffer of %d bytes still held", b.capacity()).isZero();
    }
  }
}
