package dev.turnout.outbound.vmess;

import dev.turnout.outbound.crypto.Aead;
import dev.turnout.outbound.crypto.Shake128;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One direction of a VMess body: seals or opens chunk payloads (AEAD with the counting nonce, or as
 * they are for security NONE) and draws the masks and padding lengths of chunk lengths from
 * SHAKE128 when those options are on, padding length first, as v2ray does. A chunk is {@code
 * length(2) || seal(payload) || padding}; an empty payload ends the direction. Client and server
 * frame their directions alike ({@link #writeChunk}, {@link #readChunks}). Not thread-safe.
 */
final class VmessBody {
  private final Aead aead;
  private final byte[] iv;
  private final Shake128 shake;
  private final boolean padding;
  private int count;
  private int chunkLength = -1; // of the chunk being read; -1 before its length
  private int chunkPadding;
  private boolean ended;

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

  /**
   * Writes the next {@code n} bytes of {@code in} to {@code out} as one chunk, its padding drawn
   * from {@code random}; never after {@link #spent}.
   */
  void writeChunk(ByteBuf in, int n, ByteBuf out, RandomGenerator random) {
    int pad = nextPadding();
    out.writeShort((n + overhead() + pad) ^ mask());
    seal(in, n, out);
    if (pad > 0) {
      byte[] p = new byte[pad];
      random.nextBytes(p);
      out.writeBytes(p);
    }
  }

  /**
   * Reads the whole chunks in {@code in}, adding each payload to {@code out} until the empty one
   * that ends the direction ({@link #ended}; what follows it is left unread).
   *
   * @return null while all is well, else what is wrong (the caller closes the connection)
   */
  String readChunks(ByteBuf in, ByteBufAllocator alloc, List<Object> out) {
    while (!ended) {
      if (chunkLength < 0) {
        if (in.readableBytes() < 2) {
          return null;
        }
        chunkPadding = nextPadding();
        chunkLength = in.readUnsignedShort() ^ mask();
        if (chunkLength < overhead() + chunkPadding) {
          return "chunk shorter than its tag and padding";
        }
      }
      if (in.readableBytes() < chunkLength) {
        return null;
      }
      int sealed = chunkLength - chunkPadding;
      ByteBuf payload = alloc.buffer(sealed - overhead());
      if (!open(in, sealed, payload)) {
        payload.release();
        return spent()
            ? "body past 65,536 chunks (its nonce would repeat)"
            : "chunk failed authentication";
      }
      in.skipBytes(chunkPadding);
      chunkLength = -1;
      if (!payload.isReadable()) {
        payload.release();
        ended = true;
      } else {
        out.add(payload);
      }
    }
    return null;
  }

  /**
   * Reads the body in {@code in}: whole chunks as {@link #readChunks} does, or, without the chunk
   * stream option ({@code chunked} false), every byte as it is. After the end, bytes are dropped.
   *
   * @return null while all is well, else what is wrong (the caller closes the connection)
   */
  String readBody(ByteBuf in, boolean chunked, ByteBufAllocator alloc, List<Object> out) {
    if (!chunked) {
      if (in.isReadable()) {
        out.add(in.readRetainedSlice(in.readableBytes()));
      }
      return null;
    }
    String problem = readChunks(in, alloc, out);
    if (problem == null && ended) {
      in.skipBytes(in.readableBytes()); // the other side sent all it will
    }
    return problem;
  }

  /** True once the empty chunk that ends this direction was read. */
  boolean ended() {
    return ended;
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
