package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * A view of a TCP header at an absolute offset in a {@link ByteBuffer}; no copy, reusable via
 * {@link #wrap}. Port rewrites patch the checksum incrementally, including the pseudo-header
 * addresses that the IPv4 or IPv6 rewrite changes.
 */
final class TcpHeader {
  static final int MIN_LENGTH = 20;
  static final int FIN = 0x01;
  static final int SYN = 0x02;
  static final int RST = 0x04;
  static final int ACK = 0x10;

  private ByteBuffer buffer;
  private int base;

  TcpHeader wrap(ByteBuffer buffer, int base) {
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

  int sequence() {
    return buffer.getInt(base + 4);
  }

  int acknowledgment() {
    return buffer.getInt(base + 8);
  }

  /** Header length in bytes (data offset × 4). */
  int headerLength() {
    return ((buffer.get(base + 12) & 0xff) >>> 4) * 4;
  }

  int flags() {
    return buffer.get(base + 13) & 0xff;
  }

  int checksum() {
    return buffer.getShort(base + 16) & 0xffff;
  }

  /**
   * The sequence number of a RST answering this segment (RFC 793, "Reset Generation"): the
   * segment's acknowledgment if it has one, else 0.
   */
  int resetSequence(int flags) {
    return (flags & ACK) != 0 ? acknowledgment() : 0;
  }

  /**
   * The acknowledgment of a RST answering this segment: none (0) if the segment acknowledged
   * something, else everything the segment occupied ({@code payloadLength}, SYN and FIN).
   */
  int resetAcknowledgment(int flags, int payloadLength) {
    if ((flags & ACK) != 0) {
      return 0;
    }
    return sequence() + payloadLength + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
  }

  /** The flags of a RST answering a segment with {@code flags}. */
  static int resetFlags(int flags) {
    return (flags & ACK) != 0 ? RST : RST | ACK;
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
    } else {
      checksum = Checksums.update32(checksum, oldSourceAddress, newSourceAddress);
      checksum = Checksums.update32(checksum, oldDestinationAddress, newDestinationAddress);
      checksum = Checksums.update16(checksum, sourcePort(), sourcePort);
      checksum = Checksums.update16(checksum, destinationPort(), destinationPort);
    }
    buffer.putShort(base, (short) sourcePort);
    buffer.putShort(base + 2, (short) destinationPort);
    buffer.putShort(base + 16, (short) checksum);
  }

  /**
   * Rewrites both ports after the addresses changed by {@code addressDelta} (the IPv6 pseudo-header
   * change {@link Ipv6Header#rewriteAddresses} returns); a partial checksum takes the address
   * change only, as in {@link #rewrite(boolean, int, int, int, int, int, int)}.
   */
  void rewrite(boolean partialChecksum, int addressDelta, int sourcePort, int destinationPort) {
    int checksum = checksum();
    if (partialChecksum) {
      checksum = Checksums.applyPartial(checksum, addressDelta);
    } else {
      checksum = Checksums.apply(checksum, addressDelta);
      checksum = Checksums.update16(checksum, sourcePort(), sourcePort);
      checksum = Checksums.update16(checksum, destinationPort(), destinationPort);
    }
    buffer.putShort(base, (short) sourcePort);
    buffer.putShort(base + 2, (short) destinationPort);
    buffer.putShort(base + 16, (short) checksum);
  }

  /** Writes a bare 20-byte header (window 0, no options) and its full checksum, for IPv4. */
  void writeFresh(
      int sourceAddress,
      int destinationAddress,
      int sourcePort,
      int destinationPort,
      int sequence,
      int acknowledgment,
      int flags) {
    writeFresh(
        Checksums.pseudoHeaderSum(
            sourceAddress, destinationAddress, Ipv4Header.PROTOCOL_TCP, MIN_LENGTH),
        sourcePort,
        destinationPort,
        sequence,
        acknowledgment,
        flags);
  }

  /** As above, for any family: {@code pseudoHeaderSum} covers a 20-byte segment. */
  void writeFresh(
      int pseudoHeaderSum,
      int sourcePort,
      int destinationPort,
      int sequence,
      int acknowledgment,
      int flags) {
    buffer.putShort(base, (short) sourcePort);
    buffer.putShort(base + 2, (short) destinationPort);
    buffer.putInt(base + 4, sequence);
    buffer.putInt(base + 8, acknowledgment);
    buffer.put(base + 12, (byte) 0x50);
    buffer.put(base + 13, (byte) flags);
    buffer.putInt(base + 14, 0); // window 0, checksum 0
    buffer.putShort(base + 18, (short) 0);
    int sum = pseudoHeaderSum + Checksums.sum(buffer, base, MIN_LENGTH);
    buffer.putShort(base + 16, (short) Checksums.finish(sum));
  }
}
