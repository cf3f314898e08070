package dev.turnout.outbound.vmess;

import dev.turnout.outbound.Destination;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Reads a VMess client's stream for {@link VmessServer}: the AEAD request header ({@code authID ||
 * seal(length) || nonce || seal(header)}), which becomes a {@link VmessServer.Request}, then the
 * request body, whose chunk payloads follow it as buffers. Anything wrong (an authID of no user or
 * out of the time window, one seen before, a header that does not authenticate or parse, a body
 * chunk that does not authenticate) closes the connection and is reported once.
 */
final class VmessServerDecoder extends ByteToMessageDecoder {
  /** AuthID, sealed length and nonce: what comes before the sealed header. */
  private static final int PREFIX = 16 + VmessHeader.SEALED_LENGTH + 8;

  /** Options this server speaks: chunk stream, masking, global padding (and connection reuse). */
  private static final int OPTIONS =
      VmessSession.OPTION_CHUNK_STREAM
          | VmessSession.OPTION_CONNECTION_REUSE
          | VmessSession.OPTION_CHUNK_MASKING
          | VmessSession.OPTION_GLOBAL_PADDING;

  private final VmessServer server;
  private final VmessServerEncoder encoder;
  private final BiConsumer<Channel, String> refused;
  private VmessServer.Authenticated user;
  private byte[] authId;
  private byte[] nonce;
  private int headerLength;
  private VmessBody reader; // null until the header is read
  private boolean chunked;
  private boolean failed;

  VmessServerDecoder(
      VmessServer server, VmessServerEncoder encoder, BiConsumer<Channel, String> refused) {
    this.server = server;
    this.encoder = encoder;
    this.refused = refused;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (failed) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (reader == null) {
      String problem = readHeader(in, out);
      if (problem != null) {
        fail(ctx, in, problem);
        return;
      }
      if (reader == null) {
        return; // the rest of the header is on its way (the handshake deadline bounds the wait)
      }
    }
    String problem = reader.readBody(in, chunked, ctx.alloc(), out);
    if (problem != null) {
      fail(ctx, in, "a request " + problem);
    }
  }

  /** Reads what it can of the header; null while all is well, else what is wrong. */
  private String readHeader(ByteBuf in, List<Object> out) {
    if (user == null) {
      if (in.readableBytes() < PREFIX) {
        return null;
      }
      authId = new byte[16];
      in.readBytes(authId);
      user = server.authenticate(authId);
      if (user == null) {
        return "a request of no user (another UUID, a legacy alterId client, or a clock more than"
            + " 2 minutes off)";
      }
      if (!server.firstTime(authId)) {
        return "a replayed request";
      }
      byte[] sealedLength = new byte[VmessHeader.SEALED_LENGTH];
      in.readBytes(sealedLength);
      nonce = new byte[8];
      in.readBytes(nonce);
      try {
        headerLength = VmessHeader.requestLength(user.cmdKey(), authId, nonce, sealedLength);
      } catch (IllegalStateException e) {
        return "a request header length that does not authenticate";
      }
    }
    if (in.readableBytes() < headerLength + 16) {
      return null;
    }
    byte[] sealed = new byte[headerLength + 16];
    in.readBytes(sealed);
    byte[] header;
    try {
      header = VmessHeader.openRequest(user.cmdKey(), authId, nonce, sealed);
    } catch (IllegalStateException e) {
      return "a request header that does not authenticate";
    }
    return parse(header, out);
  }

  /**
   * {@code version 1 || body IV (16) || body key (16) || V || options || padding << 4 | security ||
   * 0 || command || port (2) || address type (1 IPv4, 2 name, 3 IPv6) || address || padding ||
   * FNV-1a (4)}.
   */
  private String parse(byte[] h, List<Object> out) {
    if (h.length < 41 + 4 || h[0] != 1) {
      return "a request header of another version";
    }
    int end = h.length - 4;
    int fnv = (h[end] & 0xff) << 24 | (h[end + 1] & 0xff) << 16 | (h[end + 2] & 0xff) << 8;
    if (VmessHeader.fnv1a32(h, 0, end) != (fnv | (h[end + 3] & 0xff))) {
      return "a request header whose checksum does not match";
    }
    int options = h[34] & 0xff;
    int padding = (h[35] & 0xff) >>> 4;
    int security = h[35] & 0x0f;
    int command = h[37] & 0xff;
    int port = (h[38] & 0xff) << 8 | (h[39] & 0xff);
    int type = h[40] & 0xff;
    int at = 41;
    int length =
        switch (type) {
          case 1 -> 4;
          case 3 -> 16;
          case 2 -> at < end ? 1 + (h[at] & 0xff) : -1;
          default -> -1;
        };
    if (length < 0 || at + length + padding != end || port == 0) {
      return "a malformed request header";
    }
    if ((options & ~OPTIONS) != 0) {
      return "request options " + options + " (authenticated length is not supported)";
    }
    boolean stream = (options & VmessSession.OPTION_CHUNK_STREAM) != 0;
    if (security != VmessSession.AES_128_GCM
        && security != VmessSession.CHACHA20_POLY1305
        && security != VmessSession.NONE) {
      return "security " + security + " (aes-128-gcm, chacha20-poly1305 and none are served)";
    }
    if (!stream && security != VmessSession.NONE) {
      return "a request without the chunk stream option";
    }
    VmessServer.Command kind =
        switch (command) {
          case 1 -> VmessServer.Command.TCP;
          case 2 -> VmessServer.Command.UDP;
          case 3 -> VmessServer.Command.MUX;
          default -> null;
        };
    Destination target = destination(h, type, at, length, port);
    if (kind == null || target == null) {
      return "a malformed request header";
    }
    byte[] iv = Arrays.copyOfRange(h, 1, 17);
    byte[] key = Arrays.copyOfRange(h, 17, 33);
    VmessSession session = new VmessSession(security, options, key, iv, h[33]);
    reader = session.requestBody();
    chunked = stream;
    encoder.start(session);
    out.add(new VmessServer.Request(user.user(), kind, target));
    return null;
  }

  private static Destination destination(byte[] h, int type, int at, int length, int port) {
    if (type == 2) {
      return Destination.ofRequestedName(
          new String(h, at + 1, length - 1, StandardCharsets.US_ASCII), port);
    }
    try {
      return new Destination(
          null, InetAddress.getByAddress(Arrays.copyOfRange(h, at, at + length)), port);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 or 16 bytes are an address", e);
    }
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in, String why) {
    failed = true;
    in.skipBytes(in.readableBytes());
    refused.accept(ctx.channel(), why);
    ctx.close();
  }
}
