package dev.turnout.outbound.vless;

import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.util.UUID;

/**
 * The VLESS request header: {@code version 0 || UUID (16) || addons length 0 || command || port (2,
 * big-endian) || address type (1 IPv4, 2 name, 3 IPv6) || address}. No flow addons: flows are
 * refused at configuration. Bytes only, stateless.
 */
final class VlessRequest {
  static final int TCP = 1;
  static final int UDP = 2;

  private VlessRequest() {}

  static byte[] id(UUID uuid) {
    return ByteBuffer.allocate(16)
        .putLong(uuid.getMostSignificantBits())
        .putLong(uuid.getLeastSignificantBits())
        .array();
  }

  /** The header for {@code command} to {@code d}; the caller owns the buffer. */
  static ByteBuf header(ByteBufAllocator alloc, byte[] id, int command, Destination d) {
    byte[] name = d.nameBytes(); // before allocating: a name no request carries throws here
    ByteBuf out = alloc.buffer(1 + 16 + 1 + 1 + 2 + 1 + 256);
    try {
      out.writeByte(0).writeBytes(id).writeByte(0).writeByte(command).writeShort(d.port());
      if (name != null) {
        out.writeByte(2).writeByte(name.length).writeBytes(name);
      } else {
        InetAddress literal = d.literal();
        out.writeByte(literal instanceof Inet4Address ? 1 : 3).writeBytes(literal.getAddress());
      }
      return out;
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }
}
