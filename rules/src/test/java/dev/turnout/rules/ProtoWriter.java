package dev.turnout.rules;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/** The protobuf wire format, as far as the test writers of v2fly's data files need it. */
final class ProtoWriter {
  private ProtoWriter() {}

  static void string(ByteArrayOutputStream out, int field, String s) {
    bytes(out, field, s.getBytes(StandardCharsets.UTF_8));
  }

  static void bytes(ByteArrayOutputStream out, int field, byte[] b) {
    varint(out, (long) field << 3 | 2);
    varint(out, b.length);
    out.writeBytes(b);
  }

  static void varintField(ByteArrayOutputStream out, int field, long v) {
    varint(out, (long) field << 3);
    varint(out, v);
  }

  static void varint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7fL) != 0) {
      out.write((int) (v & 0x7f) | 0x80);
      v >>>= 7;
    }
    out.write((int) v);
  }
}
