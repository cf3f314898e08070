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

  void seal(ByteBuf in, int n, ByteBuf out) {
    if (aead == null) {
      out.writeBytes(in, n);
      return;
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
    aead.nonce(VmessSession.chunkNonce(iv, count++));
    return aead.open(in, length, out);
  }
}
