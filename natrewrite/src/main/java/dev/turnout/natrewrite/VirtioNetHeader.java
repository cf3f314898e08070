package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/**
 * The {@code struct virtio_net_hdr} in front of every packet on a TUN opened with {@code
 * IFF_VNET_HDR} (see {@link TunDevice#open(String, java.net.Inet4Address, int, int, boolean)}).
 * Only the first byte matters here: {@link #NEEDS_CSUM} says the TCP or UDP checksum field holds
 * the pseudo-header sum and the rest is left to whoever delivers the packet. The other fields (GSO
 * type and segment size, checksum start and offset) describe header lengths that rewriting does not
 * change, so a forwarded packet goes back with its header as it came.
 */
final class VirtioNetHeader {
  /** sizeof(struct virtio_net_hdr): the TUN's default TUNSETVNETHDRSZ. */
  static final int LENGTH = 10;

  static final int NEEDS_CSUM = 0x01;

  private VirtioNetHeader() {}

  /** True if the header at {@code offset} says the L4 checksum is partial. */
  static boolean needsChecksum(ByteBuffer buffer, int offset) {
    return (buffer.get(offset) & NEEDS_CSUM) != 0;
  }

  /** A header that asks for nothing: a complete packet with its checksums, no segmentation. */
  static void writePlain(ByteBuffer buffer, int offset) {
    buffer.putLong(offset, 0);
    buffer.putShort(offset + 8, (short) 0);
  }
}
