package dev.turnout.relay.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.DefaultMaxMessagesRecvByteBufAllocator;
import java.nio.ByteBuffer;

/**
 * The listener's read buffer: one buffer of {@code slots} whole-datagram slots, which every
 * recvmmsg(2) fills again, instead of a fresh one per call. A call then takes up to {@code slots}
 * datagrams: fewer calls per datagram (each also costs Netty a getsockopt(2) and a buffer from the
 * allocator), and no more pooled memory than before, however many slots (a JDK direct buffer, of
 * which the kernel touches only the pages the datagrams land in).
 *
 * <p>Reuse is safe because the reader copies each datagram out ({@link Payloads#compact}) before
 * the next read: the buffer is handed out again only when the reads before it have let go of every
 * slice; should one still hold a slice, the next read gets a new buffer and the old one goes when
 * that slice does (the JDK frees it, it has no pool). One instance per channel; its handle runs on
 * the channel's event loop.
 */
final class ReusedReadBuffer extends DefaultMaxMessagesRecvByteBufAllocator {
  private final int size;

  /**
   * @param slots datagrams per read
   * @param slotSize the largest datagram a slot takes whole
   * @param maxMessagesPerRead datagrams per wake-up, as {@link #maxMessagesPerRead(int)}
   */
  ReusedReadBuffer(int slots, int slotSize, int maxMessagesPerRead) {
    super(maxMessagesPerRead);
    if (slots < 1 || slotSize < 1) {
      throw new IllegalArgumentException("bad read buffer: " + slots + " x " + slotSize);
    }
    this.size = Math.multiplyExact(slots, slotSize);
  }

  @Override
  public Handle newHandle() {
    return new MaxMessageHandle() {
      private ByteBuf buffer; // this handle's own reference; the reads get retained duplicates

      @Override
      public int guess() {
        return size;
      }

      @Override
      public ByteBuf allocate(ByteBufAllocator alloc) {
        if (buffer != null && buffer.refCnt() != 1) {
          buffer.release(); // a slice of an earlier read still lives: it keeps the old one
          buffer = null;
        }
        if (buffer == null) {
          buffer = Unpooled.wrappedBuffer(ByteBuffer.allocateDirect(size)).clear();
        }
        return buffer.retainedDuplicate();
      }
    };
  }
}
