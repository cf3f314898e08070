package dev.turnout.outbound.socks;

import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;

/**
 * The SOCKS5 address encoding (ATYP, address, port) that SOCKS5 UDP headers, Shadowsocks and Trojan
 * use: 1 = IPv4 (4 bytes), 3 = domain (length byte then name), 4 = IPv6 (16 bytes); port
 * big-endian. Bytes only, stateless; reads and writes the caller's buffers.
 */
public final class SocksAddress {
  static final int IPV4 = 1;
  static final int DOMAIN = 3;
  static final int IPV6 = 4;

  private SocksAddress() {}

  /**
   * Writes {@code d}, preferring the name so the far end resolves it.
   *
   * @throws IllegalArgumentException before writing anything, for a name no request can carry
   */
  public static void write(Destination d, ByteBuf out) {
    byte[] name = d.nameBytes();
    if (name != null) {
      out.writeByte(DOMAIN).writeByte(name.length).writeBytes(name);
    } else {
      InetAddress literal = d.literal();
      out.writeByte(literal instanceof Inet4Address ? IPV4 : IPV6).writeBytes(literal.getAddress());
    }
    out.writeShort(d.port());
  }

  /**
   * The bytes {@link #write} writes; call it before allocating.
   *
   * @throws IllegalArgumentException for a name no request can carry
   */
  public static int length(Destination d) {
    byte[] name = d.nameBytes();
    if (name != null) {
      return 1 + 1 + name.length + 2;
    }
    return 1 + (d.literal() instanceof Inet6Address ? 16 : 4) + 2;
  }

  /**
   * How many bytes the address at the reader index takes (type, address, port) without reading it:
   * 0 when too few bytes are there to tell, -1 for an unknown address type.
   */
  public static int encodedLength(ByteBuf in) {
    if (!in.isReadable()) {
      return 0;
    }
    int type = in.getUnsignedByte(in.readerIndex());
    return switch (type) {
      case IPV4 -> 1 + 4 + 2;
      case IPV6 -> 1 + 16 + 2;
      case DOMAIN ->
          in.readableBytes() < 2 ? 0 : 1 + 1 + in.getUnsignedByte(in.readerIndex() + 1) + 2;
      default -> -1;
    };
  }

  /**
   * Reads an address at the reader index and advances past it. Returns null, leaving the index
   * where it was, when the bytes are incomplete or malformed (port 0 included).
   */
  public static Destination read(ByteBuf in) {
    int start = in.readerIndex();
    if (!in.isReadable()) {
      return null;
    }
    int type = in.readUnsignedByte();
    Destination d = null;
    try {
      if (type == IPV4 || type == IPV6) {
        int len = type == IPV4 ? 4 : 16;
        if (in.readableBytes() >= len + 2) {
          byte[] a = new byte[len];
          in.readBytes(a);
          int port = in.readUnsignedShort();
          d = port == 0 ? null : new Destination(null, InetAddress.getByAddress(a), port);
        }
      } else if (type == DOMAIN && in.isReadable()) {
        int len = in.readUnsignedByte();
        if (len > 0 && in.readableBytes() >= len + 2) {
          String host = in.readCharSequence(len, StandardCharsets.US_ASCII).toString();
          int port = in.readUnsignedShort();
          d = port == 0 ? null : new Destination(host, null, port);
        }
      }
    } catch (UnknownHostException e) {
      d = null;
    }
    if (d == null) {
      in.readerIndex(start);
    }
    return d;
  }
}
