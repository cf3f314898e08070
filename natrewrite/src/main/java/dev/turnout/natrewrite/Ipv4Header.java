package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * A view of an IPv4 header at an absolute offset in a {@link ByteBuffer}; no copy. Reusable: {@link
 * #wrap} points it at another packet, so one instance serves a thread's whole packet stream. The
 * caller validates lengths before using accessors (see {@link PacketRewriter}).
 */
final class Ipv4Header {
  static final int MIN_LENGTH = 20;
  static final int PROTOCOL_ICMP = 1;
  static final int PROTOCOL_TCP = 6;
  static final int PROTOCOL_UDP = 17;

  private ByteBuffer buffer;
  private int base;

  Ipv4Header wrap(ByteBuffer buffer, int base) {
    this.buffer = buffer;
    this.base = base;
    return this;
  }

  ByteBuffer buffer() {
    return buffer;
  }

  int version() {
    return (buffer.get(base) & 0xff) >>> 4;
  }

  /** Header length in bytes (IHL × 4). */
  int headerLength() {
    return (buffer.get(base) & 0x0f) * 4;
  }

  int totalLength() {
    return buffer.getShort(base + 2) & 0xffff;
  }

  /** True if this is any fragment: more-fragments set or a non-zero offset. */
  boolean isFragment() {
    return (buffer.getShort(base + 6) & 0x3fff) != 0;
  }

  int protocol() {
    return buffer.get(base + 9) & 0xff;
  }

  int checksum() {
    return buffer.getShort(base + 10) & 0xffff;
  }

  void checksum(int value) {
    buffer.putShort(base + 10, (short) value);
  }

  int source() {
    return buffer.getInt(base + 12);
  }

  int destination() {
    return buffer.getInt(base + 16);
  }

  /** Sets source and destination and patches the header checksum incrementally. */
  void rewriteAddresses(int source, int destination) {
    int checksum = checksum();
    checksum = Checksums.update32(checksum, source(), source);
    checksum = Checksums.update32(checksum, destination(), destination);
    buffer.putInt(base + 12, source);
    buffer.putInt(base + 16, destination);
    checksum(checksum);
  }

  /** Writes a fresh 20-byte header (no options, DF, TTL 64) and its full checksum. */
  void writeFresh(int totalLength, int protocol, int source, int destination) {
    buffer.put(base, (byte) 0x45);
    buffer.put(base + 1, (byte) 0);
    buffer.putShort(base + 2, (short) totalLength);
    buffer.putInt(base + 4, 0x00004000); // identification 0, DF
    buffer.put(base + 8, (byte) 64);
    buffer.put(base + 9, (byte) protocol);
    buffer.putShort(base + 10, (short) 0);
    buffer.putInt(base + 12, source);
    buffer.putInt(base + 16, destination);
    checksum(Checksums.finish(Checksums.sum(buffer, base, MIN_LENGTH)));
  }
}
