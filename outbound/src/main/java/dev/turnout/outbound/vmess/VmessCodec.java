package dev.turnout.outbound.vmess;

import dev.turnout.outbound.crypto.Aead;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VMess body framing for one connection: outbound plaintext becomes chunks sealed with the request
 * key (the sealed request header goes first); inbound bytes are the sealed response header, checked
 * against the expected V byte, then chunks sealed with the response key. An empty chunk from the
 * server ends its stream. Authentication failures close the connection.
 */
final class VmessCodec extends ByteToMessageCodec<ByteBuf> {
  private static final Logger LOG = LoggerFactory.getLogger(VmessCodec.class);

  /** v2ray reads chunks into 8 KiB buffers (2 length bytes, 16 tag bytes, padding room). */
  static final int MAX_PAYLOAD = 8192 - 2 - 16 - 64;

  private final VmessSession session;
  private byte[] requestHeader;
  private final Aead writer;
  private final Aead reader;
  private int written;
  private int read;
  private int headerLength = -1;
  private boolean headerDone;
  private int chunkLength = -1;
  private boolean ended;

  VmessCodec(VmessSession session, byte[] sealedRequestHeader) {
    super(ByteBuf.class);
    this.session = session;
    this.requestHeader = sealedRequestHeader;
    this.writer = session.bodyCipher(session.requestKey);
    this.reader = session.bodyCipher(session.responseKey);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf in, ByteBuf out) {
    if (requestHeader != null) {
      out.writeBytes(requestHeader);
      requestHeader = null;
    }
    while (in.isReadable()) {
      int n = Math.min(MAX_PAYLOAD, in.readableBytes());
      out.writeShort(n + Aead.TAG);
      writer.nonce(VmessSession.chunkNonce(session.requestIv, written++));
      writer.seal(in, n, out);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (ended) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!headerDone && !readHeader(ctx, in)) {
      return;
    }
    while (true) {
      if (chunkLength < 0) {
        if (in.readableBytes() < 2) {
          return;
        }
        chunkLength = in.readUnsignedShort();
        if (chunkLength < Aead.TAG) {
          fail(ctx, in, "chunk shorter than its tag");
          return;
        }
      }
      if (in.readableBytes() < chunkLength) {
        return;
      }
      ByteBuf payload = ctx.alloc().buffer(chunkLength - Aead.TAG);
      reader.nonce(VmessSession.chunkNonce(session.responseIv, read++));
      if (!reader.open(in, chunkLength, payload)) {
        payload.release();
        fail(ctx, in, "chunk failed authentication");
        return;
      }
      chunkLength = -1;
      if (!payload.isReadable()) {
        payload.release();
        ended = true;
        return;
      }
      out.add(payload);
    }
  }

  private boolean readHeader(ChannelHandlerContext ctx, ByteBuf in) {
    try {
      if (headerLength < 0) {
        if (in.readableBytes() < VmessHeader.SEALED_LENGTH) {
          return false;
        }
        byte[] sealed = new byte[VmessHeader.SEALED_LENGTH];
        in.readBytes(sealed);
        headerLength = VmessHeader.responseLength(session, sealed);
      }
      if (in.readableBytes() < headerLength + Aead.TAG) {
        return false;
      }
      byte[] sealed = new byte[headerLength + Aead.TAG];
      in.readBytes(sealed);
      byte[] header = VmessHeader.response(session, sealed);
      if (header.length < 4 || header[0] != session.responseAuth) {
        fail(ctx, in, "response header does not match the request");
        return false;
      }
      headerDone = true;
      return true;
    } catch (IllegalStateException e) {
      fail(ctx, in, "response header failed authentication");
      return false;
    }
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in, String why) {
    ended = true;
    in.skipBytes(in.readableBytes());
    LOG.warn("{}: VMess {}; closing", ctx.channel(), why);
    ctx.close();
  }
}
