package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * A view of a UDP header at an absolute offset in a {@link ByteBuffer}; no copy, reusable via
 * {@link #wrap}. A checksum of 0 means "none" (RFC 768) and stays 0; a patched checksum that comes
 * out as 0 is stored as 0xffff, its one's-complement equivalent.
 */
final class UdpHeader {
  static final int LENGTH = 8;

  private ByteBuffer buffer;
  private int base;

  UdpHeader wrap(ByteBuffer buffer, int base) {
    this.buffer = buffer;
    this.base = base;
    return this;
  }

  int sourcePort() {
    return buffer.getShort(base) & 0xffff;
  }

  int destinationPort() {
    return buffer.getShort(base + 2) & 0xffff;
  }

  /** The length field: header plus payload. */
  int length() {
    return buffer.getShort(base + 4) & 0xffff;
  }

  int checksum() {
    return buffer.getShort(base + 6) & 0xffff;
  }

  /**
   * Rewrites both endpoints. {@code old*Address}/{@code new*Address} are the IPv4 addresses of the
   * pseudo header, which the caller changes in the IPv4 header itself. With {@code partialChecksum}
   * the checksum field holds only the pseudo-header sum (the kernel's {@code CHECKSUM_PARTIAL}):
   * the addresses are patched into it and the ports are not, since whoever completes the checksum
   * sums them from the header.
   */
  void rewrite(
      boolean partialChecksum,
      int oldSourceAddress,
      int oldDestinationAddress,
      int newSourceAddress,
      int sourcePort,
      int newDestinationAddress,
      int destinationPort) {
    int checksum = checksum();
    if (partialChecksum) {
      checksum = Checksums.updatePartial32(checksum, oldSourceAddress, newSourceAddress);
      checksum = Checksums.updatePartial32(checksum, oldDestinationAddress, newDestinationAddress);
      buffer.putShort(base + 6, (short) checksum);
    } else if (checksum != 0) {
      checksum = Checksums.update32(checksum, oldSourceAddress, newSourceAddress);
      checksum = Checksums.update32(checksum, oldDestinationAddress, newDestinationAddress);
      checksum = Checksums.update16(checksum, sourcePort(), sourcePort);
      checksum = Checksums.update16(checksum, destinationPort(), destinationPort);
      buffer.putShort(base + 6, (short) (checksum == 0 ? 0xffff : checksum));
    }
    buffer.putShort(base, (short) sourcePort);
    buffer.putShort(base + 2, (short) destinationPort);
  }

  /**
   * Rewrites both ports after the addresses changed by {@code addressDelta} (the IPv6 pseudo-header
   * change {@link Ipv6Header#rewriteAddresses} returns), as the IPv4 variant does.
   */
  void rewrite(boolean partialChecksum, int addressDelta, int sourcePort, int destinationPort) {
    int checksum = checksum();
    if (partialChecksum) {
      buffer.putShort(base + 6, (short) Checksums.applyPartial(checksum, addressDelta));
    } else if (checksum != 0) {
      checksum = Checksums.apply(checksum, addressDelta);
      checksum = Checksums.update16(checksum, sourcePort(), sourcePort);
      checksum = Checksums.update16(checksum, destinationPort(), destinationPort);
      buffer.putShort(base + 6, (short) (checksum == 0 ? 0xffff : checksum));
    }
    buffer.putShort(base, (short) sourcePort);
    buffer.putShort(base + 2, (short) destinationPort);
  }
}
