package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * A view of the fixed 40-byte IPv6 header at an absolute offset in a {@link ByteBuffer}; no copy,
 * reusable via {@link #wrap}. Addresses are read and written as their high and low 64 bits. IPv6
 * has no header checksum: an address change only moves the pseudo-header sum of the transport
 * checksum, which {@link #rewriteAddresses} returns for the caller to apply. The caller validates
 * lengths before using accessors (see {@link Ipv6Rewrite}).
 */
final class Ipv6Header {
  static final int LENGTH = 40;
  static final int HOP_BY_HOP = 0;
  static final int ROUTING = 43;
  static final int FRAGMENT = 44;
  static final int ICMPV6 = 58;
  static final int DESTINATION_OPTIONS = 60;
  private static final int DEFAULT_HOP_LIMIT = 64;

  private ByteBuffer buffer;
  private int base;

  Ipv6Header wrap(ByteBuffer buffer, int base) {
    this.buffer = buffer;
    this.base = base;
    return this;
  }

  /** Length of everything after this header: extension headers and the upper-layer packet. */
  int payloadLength() {
    return buffer.getShort(base + 4) & 0xffff;
  }

  int nextHeader() {
    return buffer.get(base + 6) & 0xff;
  }

  long sourceHigh() {
    return buffer.getLong(base + 8);
  }

  long sourceLow() {
    return buffer.getLong(base + 16);
  }

  long destinationHigh() {
    return buffer.getLong(base + 24);
  }

  long destinationLow() {
    return buffer.getLong(base + 32);
  }

  /**
   * Sets both addresses.
   *
   * @return how the pseudo-header sum changed, for {@link Checksums#apply}
   */
  int rewriteAddresses(long sourceHigh, long sourceLow, long destinationHigh, long destinationLow) {
    int delta =
        Checksums.fold(
            Checksums.delta64(sourceHigh(), sourceHigh)
                + Checksums.delta64(sourceLow(), sourceLow)
                + Checksums.delta64(destinationHigh(), destinationHigh)
                + Checksums.delta64(destinationLow(), destinationLow));
    buffer.putLong(base + 8, sourceHigh);
    buffer.putLong(base + 16, sourceLow);
    buffer.putLong(base + 24, destinationHigh);
    buffer.putLong(base + 32, destinationLow);
    return delta;
  }

  /** Writes a fresh header: traffic class and flow label 0, hop limit 64. */
  void writeFresh(
      int payloadLength,
      int nextHeader,
      long sourceHigh,
      long sourceLow,
      long destinationHigh,
      long destinationLow) {
    buffer.putInt(base, 0x60000000);
    buffer.putShort(base + 4, (short) payloadLength);
    buffer.put(base + 6, (byte) nextHeader);
    buffer.put(base + 7, (byte) DEFAULT_HOP_LIMIT);
    buffer.putLong(base + 8, sourceHigh);
    buffer.putLong(base + 16, sourceLow);
    buffer.putLong(base + 24, destinationHigh);
    buffer.putLong(base + 32, destinationLow);
  }
}
