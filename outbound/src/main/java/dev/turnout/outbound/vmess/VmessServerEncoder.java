package dev.turnout.outbound.vmess;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import java.security.SecureRandom;
import java.util.random.RandomGenerator;

/**
 * Writes to a VMess client for {@link VmessServer}: the sealed response header in front of the
 * first bytes, then the response body in chunks (one per write at most {@link
 * VmessCodec#MAX_PAYLOAD} long, so that each datagram of a UDP request is one chunk). Nothing goes
 * out before the request header was read. The 65,537th chunk would reuse a nonce: the connection
 * closes instead.
 */
final class VmessServerEncoder extends MessageToByteEncoder<ByteBuf> {
  private final RandomGenerator random = new SecureRandom();
  private VmessSession session;
  private VmessBody writer;
  private boolean headerSent;

  VmessServerEncoder() {
    super(ByteBuf.class);
  }

  /** The request was read: its session keys the response. */
  void start(VmessSession session) {
    this.session = session;
    this.writer = session.responseBody();
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf in, ByteBuf out) {
    if (session == null) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (!headerSent) {
      out.writeBytes(VmessHeader.sealResponse(session));
      headerSent = true;
    }
    if (!session.has(VmessSession.OPTION_CHUNK_STREAM)) {
      out.writeBytes(in);
      return;
    }
    while (in.isReadable()) {
      if (writer.spent()) {
        in.skipBytes(in.readableBytes());
        ctx.close();
        return;
      }
      writer.writeChunk(in, Math.min(VmessCodec.MAX_PAYLOAD, in.readableBytes()), out, random);
    }
  }
}
