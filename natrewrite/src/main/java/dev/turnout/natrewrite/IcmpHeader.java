package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * A view of an ICMP message at an absolute offset in a {@link ByteBuffer}. The ICMP checksum covers
 * only the message (no pseudo header), so address changes in the IPv4 header leave it alone.
 */
final class IcmpHeader {
  static final int MIN_LENGTH = 8;
  static final int ECHO_REPLY = 0;
  static final int DESTINATION_UNREACHABLE = 3;
  static final int ECHO_REQUEST = 8;
  static final int PORT_UNREACHABLE = 3;

  private ByteBuffer buffer;
  private int base;

  IcmpHeader wrap(ByteBuffer buffer, int base) {
    this.buffer = buffer;
    this.base = base;
    return this;
  }

  int type() {
    return buffer.get(base) & 0xff;
  }

  int code() {
    return buffer.get(base + 1) & 0xff;
  }

  int checksum() {
    return buffer.getShort(base + 2) & 0xffff;
  }

  /** Computes the checksum over the whole message of {@code length} bytes. */
  void completeChecksum(int length) {
    buffer.putShort(base + 2, (short) 0);
    buffer.putShort(base + 2, (short) Checksums.finish(Checksums.sum(buffer, base, length)));
  }

  /** Turns an echo request into an echo reply in place, patching the checksum incrementally. */
  void toEchoReply() {
    int old = buffer.getShort(base) & 0xffff;
    int now = ECHO_REPLY << 8 | code();
    buffer.putShort(base + 2, (short) Checksums.update16(checksum(), old, now));
    buffer.putShort(base, (short) now);
  }

  /**
   * Writes a destination-unreachable header ({@code code}) in front of {@code quotedLength} bytes
   * already in place after it, and the full checksum over both.
   */
  void writeUnreachable(int code, int quotedLength) {
    buffer.put(base, (byte) DESTINATION_UNREACHABLE);
    buffer.put(base + 1, (byte) code);
    buffer.putShort(base + 2, (short) 0);
    buffer.putInt(base + 4, 0);
    int sum = Checksums.sum(buffer, base, MIN_LENGTH + quotedLength);
    buffer.putShort(base + 2, (short) Checksums.finish(sum));
  }
}
