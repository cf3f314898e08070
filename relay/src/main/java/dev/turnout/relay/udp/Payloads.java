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
    if (payload.capacity() <= 2 * length + 64 && payload.unwrap() == null) {
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
}
