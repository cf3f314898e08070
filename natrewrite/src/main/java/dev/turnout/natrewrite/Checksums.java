package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * Internet checksum arithmetic (RFC 1071) and its incremental update (RFC 1624, equation 3: {@code
 * HC' = ~(~HC + ~m + m')}). The rewriter only patches: a full sum is used for the rare packets it
 * generates itself (RSTs).
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
