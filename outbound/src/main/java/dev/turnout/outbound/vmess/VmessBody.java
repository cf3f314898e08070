package dev.turnout.outbound.vmess;

import dev.turnout.outbound.crypto.Aead;
import dev.turnout.outbound.crypto.Shake128;
import io.netty.buffer.ByteBuf;

/**
 * One direction of a VMess body: seals or opens chunk payloads (AEAD with the counting nonce, or as
 * they are for security NONE) and draws the masks and padding lengths of chunk lengths from
 * SHAKE128 when those options are on, padding length first, as v2ray does. Not thread-safe.
 */
final class VmessBody {
  private final Aead aead;
  private final byte[] iv;
  private final Shake128 shake;
  private final boolean padding;
  private int count;

  /** Chunks one direction may carry: the nonce holds a 16-bit count, and must never repeat. */
  static final int MAX_CHUNKS = 1 << 16;

  /**
   * @param aead null for security NONE
   * @param shake null without chunk masking
   */
  VmessBody(Aead aead, byte[] iv, Shake128 shake, boolean padding) {
    this.aead = aead;
    this.iv = iv;
    this.shake = shake;
    this.padding = padding;
  }

  /** Bytes a sealed chunk adds to its payload: the tag, or nothing for NONE. */
  int overhead() {
    return aead == null ? 0 : Aead.TAG;
  }

  /** The padding length of the next chunk (0 without global padding); call before {@link #mask}. */
  int nextPadding() {
    return padding ? shake.nextUint16() % 64 : 0;
  }

  /** The mask of the next chunk length (0 without chunk masking). */
  int mask() {
    return shake == null ? 0 : shake.nextUint16();
  }

  /**
   * True once every nonce has been used: the next chunk would reuse one (the key stream and the tag
   * key would repeat), so the connection must end instead.
   */
  boolean spent() {
    return aead != null && count >= MAX_CHUNKS;
  }

  /** Seals one chunk; never after {@link #spent}. */
  void seal(ByteBuf in, int n, ByteBuf out) {
    if (aead == null) {
      out.writeBytes(in, n);
      return;
    }
    if (spent()) {
      throw new IllegalStateException("VMess chunk nonces are spent");
    }
    aead.nonce(VmessSession.chunkNonce(iv, count++));
    aead.seal(in, n, out);
  }

  /** Opens {@code length} bytes (payload and tag); false when they do not authenticate. */
  boolean open(ByteBuf in, int length, ByteBuf out) {
    if (aead == null) {
      out.writeBytes(in, length);
      return true;
    }
    if (spent()) {
      return false; // a server that wraps its counter reuses nonces: not to be trusted
    }
    aead.nonce(VmessSession.chunkNonce(iv, count++));
    return aead.open(in, length, out);
  }
}
