package dev.turnout.relay.udp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * Right-sizes datagram payloads before they may wait in a queue. Reads take whole datagrams into 64
 * KiB slots (here sixteen of them share one buffer for recvmmsg, which the next read fills again:
 * {@link ReusedReadBuffer}; elsewhere one 64 KiB buffer per read), so a 1,400-byte datagram would
 * keep that buffer alive for as long as it waits in a queue; its own copy keeps only its bytes. The
 * copy costs far less than the system calls around it.
 */
public final class Payloads {
  private Payloads() {}

  /** {@code payload}, or a right-sized copy of it (and then {@code payload} is released). */
  public static ByteBuf compact(ByteBuf payload, ByteBufAllocator alloc) {
    int length = payload.readableBytes();
    if (rightSized(payload, 2 * length + 64)) {
      return payload;
    }
    ByteBuf copy = null;
    try {
      copy = alloc.directBuffer(length, length);
      copy.writeBytes(payload, payload.readerIndex(), length);
      return copy;
    } catch (RuntimeException | Error e) {
      if (copy != null) {
        copy.release();
      }
      throw e;
    } finally {
      payload.release();
    }
  }

  /**
   * Whether neither the buffer nor any buffer under it (a slice's parent, the buffer a leak
   * detector's wrapper watches) holds more than {@code most} bytes. The wrapper must not count as a
   * slice: Netty wraps one allocation in 128 to sample it for leaks.
   */
  private static boolean rightSized(ByteBuf buffer, int most) {
    for (ByteBuf b = buffer; b != null; b = b.unwrap()) {
      if (b.capacity() > most) {
        return false;
      }
    }
    return true;
  }
}
