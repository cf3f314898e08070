package dev.turnout.outbound.ssh;

import io.netty.buffer.ByteBuf;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

/**
 * The data types of RFC 4251 section 5 on a {@link ByteBuf}: strings (a length, then bytes),
 * mpints, booleans and name-lists. Reads check the length against what is left, so a short or lying
 * message is a {@link SshException}, never an allocation of what the length claims.
 */
final class SshWire {
  private SshWire() {}

  static void writeString(ByteBuf out, byte[] bytes) {
    out.writeInt(bytes.length).writeBytes(bytes);
  }

  static void writeString(ByteBuf out, String text) {
    writeString(out, text.getBytes(StandardCharsets.UTF_8));
  }

  static void writeBoolean(ByteBuf out, boolean b) {
    out.writeByte(b ? 1 : 0);
  }

  /** An mpint: two's complement, big-endian, without needless leading bytes. */
  static void writeMpint(ByteBuf out, BigInteger n) {
    writeString(out, n.signum() == 0 ? new byte[0] : n.toByteArray());
  }

  static byte[] readString(ByteBuf in) throws SshException {
    if (in.readableBytes() < 4) {
      throw new SshException("a message ends inside a string's length");
    }
    long length = in.readUnsignedInt();
    if (length > in.readableBytes()) {
      throw new SshException("a string of " + length + " bytes in a shorter message");
    }
    byte[] b = new byte[(int) length];
    in.readBytes(b);
    return b;
  }

  static String readUtf8(ByteBuf in) throws SshException {
    return new String(readString(in), StandardCharsets.UTF_8);
  }

  static BigInteger readMpint(ByteBuf in) throws SshException {
    byte[] b = readString(in);
    return b.length == 0 ? BigInteger.ZERO : new BigInteger(b);
  }

  static int readInt(ByteBuf in) throws SshException {
    if (in.readableBytes() < 4) {
      throw new SshException("a message ends inside a uint32");
    }
    return in.readInt();
  }

  static boolean readBoolean(ByteBuf in) throws SshException {
    if (!in.isReadable()) {
      throw new SshException("a message ends before a boolean");
    }
    return in.readByte() != 0;
  }

  static String[] readNameList(ByteBuf in) throws SshException {
    String list = new String(readString(in), StandardCharsets.US_ASCII);
    return list.isEmpty() ? new String[0] : list.split(",", -1);
  }

  /** The bytes of a string field, for signatures and hashes built from several fields. */
  static byte[] stringBytes(byte[] bytes) {
    byte[] b = new byte[4 + bytes.length];
    b[0] = (byte) (bytes.length >>> 24);
    b[1] = (byte) (bytes.length >>> 16);
    b[2] = (byte) (bytes.length >>> 8);
    b[3] = (byte) bytes.length;
    System.arraycopy(bytes, 0, b, 4, bytes.length);
    return b;
  }
}
