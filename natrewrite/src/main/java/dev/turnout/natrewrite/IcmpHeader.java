package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * A view of an ICMP or ICMPv6 message at an absolute offset in a {@link ByteBuffer}; both start
 * with type, code, checksum and four bytes that depend on the type. The ICMP checksum covers only
 * the message (no pseudo header), so address changes in the IPv4 header leave it alone; the ICMPv6
 * checksum also covers the IPv6 pseudo header, which the caller passes as a sum where it matters.
 */
final class IcmpHeader {
  static final int MIN_LENGTH = 8;
  static final int ECHO_REPLY = 0;
  static final int DESTINATION_UNREACHABLE = 3;
  static final int ECHO_REQUEST = 8;
  static final int TIME_EXCEEDED = 11;
  static final int PORT_UNREACHABLE = 3;
  static final int V6_DESTINATION_UNREACHABLE = 1;
  static final int V6_PACKET_TOO_BIG = 2;
  static final int V6_ECHO_REQUEST = 128;
  static final int V6_ECHO_REPLY = 129;
  static final int V6_PORT_UNREACHABLE = 4;

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

  /**
   * Computes the ICMPv6 checksum over the pseudo header ({@code pseudoHeaderSum}) and the whole
   * message of {@code length} bytes.
   */
  void completeChecksum(int length, int pseudoHeaderSum) {
    buffer.putShort(base + 2, (short) 0);
    int sum = pseudoHeaderSum + Checksums.sum(buffer, base, length);
    buffer.putShort(base + 2, (short) Checksums.finish(sum));
  }

  /** The four bytes after the checksum: an ICMPv6 packet-too-big's MTU. */
  int rest() {
    return buffer.getInt(base + 4);
  }

  /** Turns an echo request into an echo reply in place, patching the checksum incrementally. */
  void toEchoReply() {
    toEchoReply(ECHO_REPLY);
  }

  /** As {@link #toEchoReply()} with the reply type of ICMP or ICMPv6. */
  void toEchoReply(int replyType) {
    int old = buffer.getShort(base) & 0xffff;
    int now = replyType << 8 | code();
    buffer.putShort(base + 2, (short) Checksums.update16(checksum(), old, now));
    buffer.putShort(base, (short) now);
  }

  /**
   * Writes a destination-unreachable header ({@code code}) in front of {@code quotedLength} bytes
   * already in place after it, and the full checksum over both.
   */
  void writeUnreachable(int code, int quotedLength) {
    writeError(DESTINATION_UNREACHABLE, code, quotedLength, 0);
  }

  /**
   * Writes an error header ({@code type}, {@code code}, four zero bytes) in front of {@code
   * quotedLength} bytes already in place after it, and the full checksum over both and the pseudo
   * header sum (0 for ICMP).
   */
  void writeError(int type, int code, int quotedLength, int pseudoHeaderSum) {
    buffer.put(base, (byte) type);
    buffer.put(base + 1, (byte) code);
    buffer.putShort(base + 2, (short) 0);
    buffer.putInt(base + 4, 0);
    int sum = pseudoHeaderSum + Checksums.sum(buffer, base, MIN_LENGTH + quotedLength);
    buffer.putShort(base + 2, (short) Checksums.finish(sum));
  }
}
