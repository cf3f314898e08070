package dev.turnout.outbound.shadowsocks;

import dev.turnout.outbound.crypto.Aead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shadowsocks AEAD, receiving side of TCP: reads the server's salt, then emits the plaintext of
 * each chunk. A chunk that fails authentication (wrong password, tampering) ends the connection: it
 * is logged and the channel closed, since nothing after it can be trusted.
 */
final class SsStreamDecoder extends ByteToMessageDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(SsStreamDecoder.class);

  private final SsCipher cipher;
  private final byte[] masterKey;
  private final Consumer<Channel> failed;
  private final SaltFilter salts;
  private Aead aead;
  private int payloadLength = -1;
  private boolean broken;

  /** A client's decoder of its server's replies: a failed chunk is logged. */
  SsStreamDecoder(SsCipher cipher, byte[] masterKey) {
    this(
        cipher,
        masterKey,
        ch ->
            LOG.warn("{}: Shadowsocks chunk failed authentication (wrong password?); closing", ch),
        null);
  }

  /**
   * A decoder that tells {@code failed} of a chunk that fails authentication, or of a salt {@code
   * salts} has seen before (null: any salt), then closes.
   */
  SsStreamDecoder(SsCipher cipher, byte[] masterKey, Consumer<Channel> failed, SaltFilter salts) {
    this.cipher = cipher;
    this.masterKey = masterKey;
    this.failed = failed;
    this.salts = salts;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (broken) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (aead == null) {
      if (in.readableBytes() < cipher.saltSize()) {
        return;
      }
      byte[] salt = new byte[cipher.saltSize()];
      in.readBytes(salt);
      if (salts != null && !salts.fresh(salt)) {
        fail(ctx, in); // a replayed connection: its salt was used before
        return;
      }
      aead = cipher.aead(masterKey, salt);
    }
    while (true) {
      if (payloadLength < 0) {
        if (in.readableBytes() < 2 + Aead.TAG) {
          return;
        }
        ByteBuf length = ctx.alloc().heapBuffer(2);
        try {
          if (!aead.open(in, 2 + Aead.TAG, length)) {
            fail(ctx, in);
            return;
          }
          payloadLength = length.readUnsignedShort() & SsStreamEncoder.MAX;
        } finally {
          length.release();
        }
      }
      if (in.readableBytes() < payloadLength + Aead.TAG) {
        return;
      }
      ByteBuf payload = ctx.alloc().buffer(payloadLength);
      if (!aead.open(in, payloadLength + Aead.TAG, payload)) {
        payload.release();
        fail(ctx, in);
        return;
      }
      payloadLength = -1;
      out.add(payload);
    }
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in) {
    broken = true;
    in.skipBytes(in.readableBytes());
    failed.accept(ctx.channel());
    ctx.close();
  }
}
