package dev.turnout.outbound.transport;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC "gun" framing, as v2ray, Xray and mihomo tunnel over gRPC: each chunk of the stream is one
 * gRPC message (flag byte 0 for uncompressed, 4-byte big-endian length) holding the protobuf {@code
 * Hunk { bytes data = 1; }}. Inbound messages may span or share HTTP/2 DATA frames; they are
 * reassembled, bounded by {@value #MAX_MESSAGE} bytes. A compressed, oversized or malformed message
 * is logged and closes the connection. One per connection.
 */
final class GunCodec extends ByteToMessageCodec<ByteBuf> {
  private static final Logger LOG = LoggerFactory.getLogger(GunCodec.class);
  static final int MAX_MESSAGE = 1 << 20;
  private static final int HUNK_DATA = 1 << 3 | 2; // field 1, length-delimited

  private boolean broken;

  GunCodec() {
    super(ByteBuf.class);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf in, ByteBuf out) {
    int n = in.readableBytes();
    if (n == 0) {
      return;
    }
    out.writeByte(0).writeInt(1 + varintLength(n) + n).writeByte(HUNK_DATA);
    writeVarint(out, n);
    out.writeBytes(in);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (!broken && in.readableBytes() >= 5) {
      int start = in.readerIndex();
      int flags = in.getUnsignedByte(start);
      long length = in.getUnsignedInt(start + 1);
      if (flags != 0) {
        fail(ctx, in, "compressed gRPC message (flags " + flags + ")");
        return;
      }
      if (length > MAX_MESSAGE) {
        fail(ctx, in, "gRPC message of " + length + " bytes");
        return;
      }
      if (in.readableBytes() < 5 + length) {
        return;
      }
      in.skipBytes(5);
      ByteBuf message = in.readSlice((int) length);
      if (!hunk(message, out)) {
        fail(ctx, in, "malformed Hunk message");
        return;
      }
    }
    if (broken) {
      in.skipBytes(in.readableBytes());
    }
  }

  /** Adds the data fields of one Hunk to {@code out}; false when it does not parse. */
  static boolean hunk(ByteBuf m, List<Object> out) {
    while (m.isReadable()) {
      long tag = readVarint(m);
      if (tag < 0) {
        return false;
      }
      int wireType = (int) (tag & 7);
      if (wireType == 2) {
        long n = readVarint(m);
        if (n < 0 || n > m.readableBytes()) {
          return false;
        }
        ByteBuf value = m.readRetainedSlice((int) n);
        if (tag == HUNK_DATA && value.isReadable()) {
          out.add(value);
        } else {
          value.release();
        }
      } else if (wireType == 0) {
        if (readVarint(m) < 0) {
          return false;
        }
      } else if (wireType == 1 || wireType == 5) {
        int skip = wireType == 1 ? 8 : 4;
        if (m.readableBytes() < skip) {
          return false;
        }
        m.skipBytes(skip);
      } else {
        return false;
      }
    }
    return true;
  }

  /** A protobuf varint of at most 5 bytes (lengths here fit 32 bits), or -1 when malformed. */
  static long readVarint(ByteBuf in) {
    long value = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      if (!in.isReadable()) {
        return -1;
      }
      int b = in.readUnsignedByte();
      value |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
    }
    return -1;
  }

  static void writeVarint(ByteBuf out, int value) {
    while ((value & ~0x7f) != 0) {
      out.writeByte(value & 0x7f | 0x80);
      value >>>= 7;
    }
    out.writeByte(value);
  }

  static int varintLength(int value) {
    int n = 1;
    while ((value & ~0x7f) != 0) {
      value >>>= 7;
      n++;
    }
    return n;
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in, String why) {
    broken = true;
    in.skipBytes(in.readableBytes());
    LOG.warn("{}: {} from the gRPC server; closing", ctx.channel(), why);
    ctx.close();
  }
}
