package dev.turnout.inbound.socks;

import dev.turnout.netbase.HostNames;
import dev.turnout.outbound.Destination;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
 * The header of every SOCKS5 UDP datagram between a client and the relay (RFC 1928, section 7): RSV
 * (2 bytes, zero), FRAG, then DST.ADDR and DST.PORT in the SOCKS5 address encoding, then the
 * payload. Bytes only: reads and writes the caller's buffers, owns no socket. Stateless.
 */
final class SocksUdpHeader {
  /** RSV (2 bytes) and FRAG. */
  static final int PREFIX = 3;

  private SocksUdpHeader() {}

  /** What a datagram from a client turned out to be. */
  enum Verdict {
    /** A whole datagram: {@link #read} returned its destination, the payload follows. */
    DATAGRAM,
    /** FRAG is not zero: a fragment, which the relay does not reassemble. */
    FRAGMENT,
    /** Too short, RSV not zero, or a bad address. */
    MALFORMED
  }

  /**
   * Classifies the datagram at {@code in}'s reader index without moving it.
   *
   * @return {@link Verdict#DATAGRAM} only if {@link #read} will succeed
   */
  static Verdict check(ByteBuf in) {
    int start = in.readerIndex();
    if (in.readableBytes() < PREFIX + 1 || in.getShort(start) != 0) {
      return Verdict.MALFORMED;
    }
    if (in.getByte(start + 2) != 0) {
      return Verdict.FRAGMENT;
    }
    in.skipBytes(PREFIX);
    Destination destination = SocksAddress.read(in);
    in.readerIndex(start);
    boolean valid =
        destination != null && (destination.host() == null || HostNames.valid(destination.host()));
    return valid ? Verdict.DATAGRAM : Verdict.MALFORMED;
  }

  /**
   * Reads the header of a datagram {@link #check} accepted, leaving the reader index at the
   * payload.
   */
  static Destination read(ByteBuf in) {
    in.skipBytes(PREFIX);
    return SocksAddress.read(in);
  }

  /**
   * A datagram for the client: the header naming {@code source} in front of {@code payload}, whose
   * ownership passes to the result.
   */
  static ByteBuf write(ByteBufAllocator alloc, Destination source, ByteBuf payload) {
    ByteBuf header = alloc.buffer(PREFIX + SocksAddress.length(source));
    try {
      header.writeZero(PREFIX);
      SocksAddress.write(source, header);
    } catch (RuntimeException e) {
      header.release();
      payload.release();
      throw e;
    }
    CompositeByteBuf datagram = alloc.compositeBuffer(2);
    return datagram.addComponents(true, header, payload);
  }
}
