package dev.turnout.outbound.trojan;

import dev.turnout.outbound.Destination;
import dev.turnout.outbound.socks.SocksAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * The Trojan request header that goes in front of the client's stream: {@code
 * hex(SHA-224(password)) CRLF CMD address CRLF}, the address in SOCKS5 encoding (ATYP, address,
 * port). Bytes only.
 */
public final class TrojanRequest {
  public static final int CONNECT = 1;
  public static final int UDP_ASSOCIATE = 3;
  private static final byte[] CRLF = {'\r', '\n'};

  private TrojanRequest() {}

  /**
   * The password as the header carries it: 56 lowercase hex digits of its SHA-224, in ASCII. Also
   * how a Trojan listener knows its users.
   */
  public static byte[] passwordHash(String password) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-224").digest(password.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest).getBytes(StandardCharsets.US_ASCII);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-224 missing from the JDK", e);
    }
  }

  /** A UDP ASSOCIATE header; its address (0.0.0.0:0) is not used, every packet carries its own. */
  static ByteBuf associate(ByteBufAllocator alloc, byte[] passwordHash) {
    ByteBuf out = alloc.buffer(passwordHash.length + 2 + 1 + 7 + CRLF.length);
    out.writeBytes(passwordHash).writeBytes(CRLF).writeByte(UDP_ASSOCIATE);
    out.writeByte(1).writeInt(0).writeShort(0);
    return out.writeBytes(CRLF);
  }

  /** A CONNECT header to {@code d}; the caller owns the returned buffer. */
  static ByteBuf connect(ByteBufAllocator alloc, byte[] passwordHash, Destination d) {
    ByteBuf out = alloc.buffer(passwordHash.length + 2 + 1 + SocksAddress.length(d) + CRLF.length);
    try {
      out.writeBytes(passwordHash).writeBytes(CRLF).writeByte(CONNECT);
      SocksAddress.write(d, out);
      return out.writeBytes(CRLF);
    } catch (RuntimeException e) {
      out.release();
      throw e;
    }
  }
}
