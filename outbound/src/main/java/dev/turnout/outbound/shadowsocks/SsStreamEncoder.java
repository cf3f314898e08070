package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.crypto.Aead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.util.random.RandomGenerator;

/**
 * Shadowsocks AEAD, sending side of TCP: the salt once, then chunks of at most {@value #MAX} bytes,
 * each {@code seal(2-byte big-endian length) || seal(payload)}, every seal with the next nonce.
 */
final class SsStreamEncoder extends MessageToByteEncoder<ByteBuf> {
  static final int MAX = 0x3FFF;

  private final SsCipher cipher;
  private final byte[] masterKey;
  private final RandomGenerator random;
  private Aead aead;

  SsStreamEncoder(SsCipher cipher, byte[] masterKey, RandomGenerator random) {
    super(ByteBuf.class);
    this.cipher = cipher;
    this.masterKey = masterKey;
    this.random = random;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf in, ByteBuf out) {
    if (!in.isReadable()) {
      return;
    }
    if (aead == null) {
      byte[] salt = new byte[cipher.saltSize()];
      random.nextBytes(salt);
      out.writeBytes(salt);
      aead = cipher.aead(masterKey, salt);
    }
    encodeChunks(aead, in, out);
  }

  static void encodeChunks(Aead aead, ByteBuf in, ByteBuf out) {
    ByteBuf length = in.alloc().heapBuffer(2);
    try {
      while (in.isReadable()) {
        int n = Math.min(MAX, in.readableBytes());
        length.clear().writeShort(n);
        aead.seal(length, 2, out);
        aead.seal(in, n, out);
      }
    } finally {
      length.release();
    }
  }

  @Override
  protected ByteBuf allocateBuffer(ChannelHandlerContext ctx, ByteBuf msg, boolean preferDirect) {
    int n = msg.readableBytes();
    int chunks = (n + MAX - 1) / MAX;
    return ctx.alloc().ioBuffer(cipher.saltSize() + n + chunks * (2 + 2 * Aead.TAG));
  }
}
