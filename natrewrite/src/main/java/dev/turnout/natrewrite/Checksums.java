package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * Internet checksum arithmetic (RFC 1071) and its incremental update (RFC 1624, equation 3: {@code
 * HC' = ~(~HC + ~m + m')}). The rewriter only patches: a full sum is used for the rare packets it
 * generates itself (RSTs, ICMP errors). IPv4 fields are patched one 32-bit value at a time; the
 * 128-bit IPv6 addresses as one summed {@link #delta64 delta}.
 */
final class Checksums {
  private Checksums() {}

  /** Checksum after a 16-bit word of the covered data changed from {@code old} to {@code now}. */
  static int update16(int checksum, int old, int now) {
    int sum = (~checksum & 0xffff) + (~old & 0xffff) + (now & 0xffff);
    return ~fold(sum) & 0xffff;
  }

  /**
   * Checksum after a 32-bit field (two adjacent 16-bit words) changed from {@code old} to {@code
   * now}.
   */
  static int update32(int checksum, int old, int now) {
    int sum =
        (~checksum & 0xffff)
            + (~old >>> 16 & 0xffff)
            + (~old & 0xffff)
            + (now >>> 16)
            + (now & 0xffff);
    return ~fold(sum) & 0xffff;
  }

  /**
   * A partial checksum (the pseudo-header sum, stored not inverted, as for {@code
   * CHECKSUM_PARTIAL}) after a 32-bit field of the pseudo header changed: the same arithmetic as
   * {@link #update32} on the inverted value.
   */
  static int updatePartial32(int partial, int old, int now) {
    return ~update32(~partial & 0xffff, old, now) & 0xffff;
  }

  /**
   * One's-complement sum (not yet inverted, unfolded) of {@code length} bytes at {@code offset}.
   */
  static int sum(ByteBuffer buffer, int offset, int length) {
    int sum = 0;
    int end = offset + (length & ~1);
    for (int i = offset; i < end; i += 2) {
      sum += buffer.getShort(i) & 0xffff;
    }
    if ((length & 1) != 0) {
      sum += (buffer.get(offset + length - 1) & 0xff) << 8;
    }
    return fold(sum);
  }

  /** Sum of the TCP/UDP pseudo header for IPv4. */
  static int pseudoHeaderSum(int source, int destination, int protocol, int length) {
    return fold(
        (source >>> 16)
            + (source & 0xffff)
            + (destination >>> 16)
            + (destination & 0xffff)
            + protocol
            + length);
  }

  /** One's-complement sum (folded, not inverted) of the four 16-bit words of {@code value}. */
  static int sum64(long value) {
    return fold(
        (int) (value >>> 48)
            + ((int) (value >>> 32) & 0xffff)
            + ((int) (value >>> 16) & 0xffff)
            + ((int) value & 0xffff));
  }

  /**
   * How the one's-complement sum of covered data changes when a 64-bit field goes from {@code old}
   * to {@code now}: {@code ~m + m'} of RFC 1624, equation 3, for its four words; deltas add up with
   * {@link #fold}.
   */
  static int delta64(long old, long now) {
    return fold(sum64(~old) + sum64(now));
  }

  /** Checksum after the covered data's sum changed by {@code delta} (RFC 1624, equation 3). */
  static int apply(int checksum, int delta) {
    return ~fold((~checksum & 0xffff) + delta) & 0xffff;
  }

  /** A partial checksum (see {@link #updatePartial32}) after its sum changed by {@code delta}. */
  static int applyPartial(int partial, int delta) {
    return fold(partial + delta);
  }

  /** Sum of the TCP/UDP/ICMPv6 pseudo header for IPv6 (RFC 8200, 8.1). */
  static int pseudoHeaderSum6(
      long sourceHigh,
      long sourceLow,
      long destinationHigh,
      long destinationLow,
      int nextHeader,
      int length) {
    return fold(
        sum64(sourceHigh)
            + sum64(sourceLow)
            + sum64(destinationHigh)
            + sum64(destinationLow)
            + (length >>> 16)
            + (length & 0xffff)
            + nextHeader);
  }

  /** Folds carries into 16 bits. */
  static int fold(int sum) {
    sum = (sum & 0xffff) + (sum >>> 16);
    return (sum & 0xffff) + (sum >>> 16);
  }

  /** The checksum to store for a folded sum. */
  static int finish(int sum) {
    return ~fold(sum) & 0xffff;
  }
}
