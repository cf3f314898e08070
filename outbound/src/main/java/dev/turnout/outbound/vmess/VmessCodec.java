package dev.turnout.outbound.vmess;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import java.util.List;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * VMess body framing for one connection: outbound plaintext becomes chunks of the request body (the
 * sealed request header goes first); inbound bytes are the response header, checked against the
 * expected V byte, then chunks of the response body. An empty chunk from the server ends its
 * stream. Without the chunk stream option (cipher "zero") both bodies are the raw stream.
 * Authentication failures and impossible lengths close the connection, and so does the 65,537th
 * chunk in either direction: the chunk nonce counts in 16 bits, and a repeated nonce would undo the
 * AEAD (issue 14).
 */
final class VmessCodec extends ByteToMessageCodec<ByteBuf> {
  private static final Logger LOG = LoggerFactory.getLogger(VmessCodec.class);

  /**
   * The most a request chunk carries: with its 16 tag bytes and up to 63 padding bytes, its length
   * stays within 16 KiB. mihomo's client writes 16 KiB payloads, so servers of every kind read
   * chunks this long (mihomo's own reader takes up to 17 KiB; v2ray 4.34 reads them in ProxiesIT).
   * Against 8 KiB chunks this halves the AEAD calls, and doubles what one connection may send
   * before its nonces run out (about 1 GiB; see {@link VmessBody#MAX_CHUNKS}).
   */
  static final int MAX_PAYLOAD = 16384 - 16 - 64;

  /**
   * The largest datagram UDP over VMess carries, one per chunk: what it was before request chunks
   * grew, as how a server delivers a datagram read in one chunk larger than its buffers (2 KiB in
   * v2ray 4.34) was not checked.
   */
  static final int MAX_DATAGRAM = 8192 - 2 - 16 - 64;

  private final VmessSession session;
  private final boolean chunked;
  private byte[] requestHeader;
  private final VmessBody writer;
  private final VmessBody reader;
  private final RandomGenerator random;
  private final VmessResponse response;
  private boolean ended;

  VmessCodec(VmessSession session, byte[] sealedRequestHeader) {
    this(session, sealedRequestHeader, new java.security.SecureRandom());
  }

  VmessCodec(VmessSession session, byte[] sealedRequestHeader, RandomGenerator random) {
    super(ByteBuf.class);
    this.session = session;
    this.chunked = session.has(VmessSession.OPTION_CHUNK_STREAM);
    this.requestHeader = sealedRequestHeader;
    this.writer = session.requestBody();
    this.reader = session.responseBody();
    this.random = random;
    this.response = new VmessResponse(session);
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf in, ByteBuf out) {
    if (requestHeader != null) {
      out.writeBytes(requestHeader);
      requestHeader = null;
    }
    if (!chunked) {
      out.writeBytes(in);
      return;
    }
    while (in.isReadable()) {
      if (writer.spent()) {
        // 65,536 chunks (about 1 GiB) went out: one more would reuse a nonce. End the
        // connection instead; the application sees it close, as after any broken connection.
        in.skipBytes(in.readableBytes());
        if (!ended) {
          LOG.info("{}: VMess request body used every chunk nonce; closing", ctx.channel());
        }
        ctx.close();
        return;
      }
      writer.writeChunk(in, Math.min(MAX_PAYLOAD, in.readableBytes()), out, random);
    }
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (ended || reader.ended()) { // failed, or the server's stream ended: the rest is dropped
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!response.done()) {
      String problem = response.read(in);
      if (problem != null) {
        fail(ctx, in, problem);
        return;
      }
      if (!response.done()) {
        return;
      }
    }
    String problem = reader.readBody(in, chunked, ctx.alloc(), out);
    if (problem != null) {
      fail(ctx, in, "response " + problem);
    }
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in, String why) {
    ended = true;
    in.skipBytes(in.readableBytes());
    LOG.warn("{}: VMess {}; closing", ctx.channel(), why);
    ctx.close();
  }

  /** The session, for tests. */
  VmessSession session() {
    return session;
  }
}
