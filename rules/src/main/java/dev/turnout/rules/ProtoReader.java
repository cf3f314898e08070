package dev.turnout.rules;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Reads protobuf wire format (varints, length-delimited fields, fixed32/64) from a region of a
 * {@link ByteBuffer} with absolute gets, so one mapped file serves many readers. Only what {@code
 * geosite.dat} and {@code GeoIP.dat} need: it is a handful of message types, and a protobuf library
 * would bring a runtime and generated classes for those few fields. Not thread-safe (one cursor);
 * the buffer is only read.
 */
final class ProtoReader {
  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LEN = 2;
  static final int FIXED32 = 5;

  /** The data is not valid protobuf for the message read. */
  static final class BadProto extends Exception {
    private static final long serialVersionUID = 1L;

    BadProto(String message) {
      super(message, null, false, false);
    }
  }

  private final ByteBuffer buf;
  private int pos;
  private final int end;
  private int tag;
  private int lenStart;
  private int lenEnd;

  ProtoReader(ByteBuffer buf, int from, int to) {
    this.buf = buf;
    this.pos = from;
    this.end = to;
  }

  /** Advances to the next field; false at the end of the region. */
  boolean next() throws BadProto {
    if (pos >= end) {
      return false;
    }
    long t = varint();
    if (t >>> 32 != 0 || (t >>> 3) == 0) {
      throw new BadProto("bad field tag " + t);
    }
    tag = (int) t;
    if (wireType() == LEN) {
      long n = varint();
      if (n < 0 || n > end - pos) {
        throw new BadProto("length " + n + " runs past the end");
      }
      lenStart = pos;
      lenEnd = pos + (int) n;
      pos = lenEnd;
    }
    return true;
  }

  int field() {
    return tag >>> 3;
  }

  int wireType() {
    return tag & 7;
  }

  /** Consumes the value of the current field when it is not length-delimited. */
  long value() throws BadProto {
    switch (wireType()) {
      case VARINT:
        return varint();
      case FIXED64:
        return fixed(8);
      case FIXED32:
        return fixed(4);
      default:
        throw new BadProto("field " + field() + " has wire type " + wireType());
    }
  }

  /** Skips the current field's value (length-delimited ones are already skipped by next()). */
  void skip() throws BadProto {
    if (wireType() != LEN) {
      value();
    }
  }

  /** The current length-delimited field as a reader of its own. */
  ProtoReader message() throws BadProto {
    requireLen();
    return new ProtoReader(buf, lenStart, lenEnd);
  }

  String string() throws BadProto {
    return new String(bytes(), StandardCharsets.UTF_8);
  }

  /** The current length-delimited field's bytes, copied. */
  byte[] bytes() throws BadProto {
    requireLen();
    byte[] b = new byte[lenEnd - lenStart];
    buf.get(lenStart, b);
    return b;
  }

  /** Start and end offset of the current length-delimited field in the buffer. */
  int start() {
    return lenStart;
  }

  int end() {
    return lenEnd;
  }

  private void requireLen() throws BadProto {
    if (wireType() != LEN) {
      throw new BadProto("field " + field() + " is not length-delimited");
    }
  }

  private long varint() throws BadProto {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        throw new BadProto("truncated varint");
      }
      byte b = buf.get(pos++);
      v |= (long) (b & 0x7f) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw new BadProto("varint longer than 10 bytes");
  }

  private long fixed(int n) throws BadProto {
    if (end - pos < n) {
      throw new BadProto("truncated fixed" + (n * 8));
    }
    long v = 0;
    for (int i = 0; i < n; i++) {
      v |= (long) (buf.get(pos++) & 0xff) << (8 * i);
    }
    return v;
  }
}
