package dev.turnout.outbound.wireguard;

import io.netty.buffer.ByteBuf;

/**
 * The four WireGuard message layouts (paper section 5.4): offsets and sizes, and the one check
 * every received datagram goes through before anything reads it ({@link #kind}). Little-endian
 * indexes and counters. The three reserved bytes after the type are ignored on receipt (Cloudflare
 * WARP's {@code reserved} puts a client id there) and written as configured. Stateless.
 */
final class Messages {
  static final int INITIATION = 1;
  static final int RESPONSE = 2;
  static final int COOKIE_REPLY = 3;
  static final int TRANSPORT = 4;

  static final int INITIATION_SIZE = 148;
  static final int RESPONSE_SIZE = 92;
  static final int COOKIE_REPLY_SIZE = 64;

  /** Type, reserved, receiver index, counter: the head of a transport message. */
  static final int TRANSPORT_HEADER = 16;

  /** The smallest transport message: a keepalive, only the header and the tag. */
  static final int TRANSPORT_MIN = TRANSPORT_HEADER + Noise.TAG;

  // Initiation: sender 4, ephemeral 8, static 40, timestamp 88, mac1 116, mac2 132.
  static final int INIT_EPHEMERAL = 8;
  static final int INIT_STATIC = 40;
  static final int INIT_TIMESTAMP = 88;
  static final int INIT_MAC1 = 116;
  static final int INIT_MAC2 = 132;

  // Response: sender 4, receiver 8, ephemeral 12, empty 44, mac1 60, mac2 76.
  static final int RESP_RECEIVER = 8;
  static final int RESP_EPHEMERAL = 12;
  static final int RESP_EMPTY = 44;
  static final int RESP_MAC1 = 60;

  // Cookie reply: receiver 4, nonce 8, encrypted cookie 32.
  static final int COOKIE_NONCE = 8;
  static final int COOKIE_SEALED = 32;

  private Messages() {}

  /**
   * The type of a well-formed message: its type byte, when the length fits that type; 0 for
   * anything else (unknown type, wrong length), which the caller counts and drops.
   */
  static int kind(ByteBuf datagram) {
    int length = datagram.readableBytes();
    if (length < 4) {
      return 0;
    }
    int type = datagram.getByte(datagram.readerIndex());
    return switch (type) {
      case INITIATION -> length == INITIATION_SIZE ? type : 0;
      case RESPONSE -> length == RESPONSE_SIZE ? type : 0;
      case COOKIE_REPLY -> length == COOKIE_REPLY_SIZE ? type : 0;
      case TRANSPORT -> length >= TRANSPORT_MIN ? type : 0;
      default -> 0;
    };
  }

  /** The receiver index of a response, cookie reply or transport message. */
  static int receiver(ByteBuf message) {
    int type = message.getByte(message.readerIndex());
    return message.getIntLE(message.readerIndex() + (type == RESPONSE ? RESP_RECEIVER : 4));
  }

  /** The counter of a transport message. */
  static long counter(ByteBuf message) {
    return message.getLongLE(message.readerIndex() + 8);
  }

  /** Writes the type and the configured reserved bytes at the start of {@code message}. */
  static void head(byte[] message, int type, byte[] reserved) {
    message[0] = (byte) type;
    System.arraycopy(reserved, 0, message, 1, 3);
  }

  static void putIntLE(byte[] b, int offset, int value) {
    b[offset] = (byte) value;
    b[offset + 1] = (byte) (value >>> 8);
    b[offset + 2] = (byte) (value >>> 16);
    b[offset + 3] = (byte) (value >>> 24);
  }

  static int getIntLE(byte[] b, int offset) {
    return (b[offset] & 0xff)
        | (b[offset + 1] & 0xff) << 8
        | (b[offset + 2] & 0xff) << 16
        | (b[offset + 3] & 0xff) << 24;
  }
}
