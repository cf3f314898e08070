package dev.turnout.inbound.ws;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A WebSocket client's side of a listener with {@code ws-path}: first its HTTP upgrade request (RFC
 * 6455: {@code GET path}, {@code Upgrade: websocket}, {@code Sec-WebSocket-Key}), answered with 101
 * and the key's accept value, then its frames (masked) as the stream they carry: the payloads of
 * binary, text and continuation frames go on as buffers, a ping is answered with a pong, a close is
 * answered and closes the connection. Early data, which Xray and mihomo clients put
 * base64url-encoded in {@code Sec-WebSocket-Protocol} (echoed back, as their servers do), goes on
 * ahead of the first frame. Another path, no upgrade, a request over {@value #MAX_REQUEST} bytes,
 * an unmasked frame, a reserved opcode or bit, or a frame over {@value #MAX_FRAME} bytes closes the
 * connection; the first ones after a 404, and reported.
 */
public final class WsServerDecoder extends ByteToMessageDecoder {
  static final int MAX_REQUEST = 8192;

  /** The longest frame read: proxy clients send some tens of KiB at most. */
  static final int MAX_FRAME = 1 << 20;

  static final int CONTINUATION = 0;
  static final int TEXT = 1;
  static final int BINARY = 2;
  static final int CLOSE = 8;
  static final int PING = 9;
  static final int PONG = 10;

  private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  private static final byte[] NOT_FOUND =
      "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
          .getBytes(StandardCharsets.US_ASCII);

  private final String path;
  private final BiConsumer<Channel, String> refused;
  private boolean upgraded;
  private boolean closed;

  /**
   * @param path the {@code ws-path} clients must ask for (its query, if any, is not compared)
   * @param refused hears of a client refused before the upgrade, with the reason
   */
  public WsServerDecoder(String path, BiConsumer<Channel, String> refused) {
    this.path = pathOnly(path);
    this.refused = refused;
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (!upgraded && !closed) {
      upgrade(ctx, in, out);
    }
    while (upgraded && !closed && in.readableBytes() >= 2) {
      if (!frame(ctx, in, out)) {
        break;
      }
    }
    if (closed) {
      in.skipBytes(in.readableBytes());
    }
  }

  /** Reads the upgrade request if it is all there, and answers it. */
  private void upgrade(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int end = endOfHead(in);
    if (end < 0) {
      if (in.readableBytes() > MAX_REQUEST) {
        refuse(ctx, "an HTTP request over " + MAX_REQUEST + " bytes");
      }
      return;
    }
    String head =
        in.readCharSequence(end - in.readerIndex(), StandardCharsets.ISO_8859_1).toString();
    String[] lines = head.split("\r\n");
    String[] request = lines[0].split(" ");
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(
            lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(colon + 1).trim());
      }
    }
    String key = headers.get("sec-websocket-key");
    if (request.length != 3 || !request[0].equals("GET") || !pathOnly(request[1]).equals(path)) {
      refuse(ctx, "a request for " + (request.length > 1 ? request[1] : lines[0]));
      return;
    }
    if (key == null || !"websocket".equalsIgnoreCase(headers.get("upgrade"))) {
      refuse(ctx, "a request for " + request[1] + " without a WebSocket upgrade");
      return;
    }
    String protocol = headers.get("sec-websocket-protocol");
    byte[] early = protocol == null ? null : earlyData(protocol);
    StringBuilder response =
        new StringBuilder("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n")
            .append("Connection: Upgrade\r\nSec-WebSocket-Accept: ")
            .append(accept(key))
            .append("\r\n");
    if (early != null) {
      response.append("Sec-WebSocket-Protocol: ").append(protocol).append("\r\n");
    }
    response.append("\r\n");
    ctx.writeAndFlush(
        Unpooled.wrappedBuffer(response.toString().getBytes(StandardCharsets.ISO_8859_1)));
    upgraded = true;
    if (early != null && early.length > 0) {
      out.add(Unpooled.wrappedBuffer(early));
    }
  }

  /** Reads one frame if it is all there; false if not (or the connection is closing). */
  private boolean frame(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    int start = in.readerIndex();
    int b0 = in.getUnsignedByte(start);
    int b1 = in.getUnsignedByte(start + 1);
    int opcode = b0 & 0x0f;
    long length = b1 & 0x7f;
    int at = start + 2;
    if (length == 126) {
      if (in.readableBytes() < 4) {
        return false;
      }
      length = in.getUnsignedShort(at);
      at += 2;
    } else if (length == 127) {
      if (in.readableBytes() < 10) {
        return false;
      }
      length = in.getLong(at);
      at += 8;
    }
    if ((b1 & 0x80) == 0
        || (b0 & 0x70) != 0
        || length < 0
        || length > MAX_FRAME
        || !(opcode <= BINARY || (opcode >= CLOSE && opcode <= PONG))) {
      closed = true;
      ctx.close();
      return false;
    }
    if (in.writerIndex() < at + 4 + length) {
      return false;
    }
    int mask = in.getInt(at); // no array per frame: frames are the stream's every read
    in.readerIndex(at + 4);
    ByteBuf payload = in.readRetainedSlice((int) length);
    int from = payload.readerIndex();
    int n = (int) length;
    int i = 0;
    for (; i + 4 <= n; i += 4) { // whole words, as the mask repeats every 4 bytes
      payload.setInt(from + i, payload.getInt(from + i) ^ mask);
    }
    for (; i < n; i++) {
      payload.setByte(from + i, payload.getByte(from + i) ^ (mask >>> (24 - 8 * (i & 3))));
    }
    switch (opcode) {
      case CONTINUATION, TEXT, BINARY -> {
        if (payload.isReadable()) {
          out.add(payload);
        } else {
          payload.release();
        }
      }
      case PING -> ctx.writeAndFlush(control(ctx, PONG, payload));
      case CLOSE -> {
        closed = true;
        ctx.writeAndFlush(control(ctx, CLOSE, payload.clear()))
            .addListener(ChannelFutureListener.CLOSE);
        return false;
      }
      default -> payload.release(); // a pong
    }
    return true;
  }

  /**
   * A control frame answering the client, as bytes: it is written from here, past the frame
   * encoder, which sits behind this decoder. Releases {@code payload}.
   */
  private static ByteBuf control(ChannelHandlerContext ctx, int opcode, ByteBuf payload) {
    try {
      ByteBuf frame = ctx.alloc().buffer(2 + payload.readableBytes());
      WsFrameEncoder.frame(opcode, payload, frame);
      return frame;
    } finally {
      payload.release();
    }
  }

  /** The index just past the blank line that ends the request's head, or -1. */
  private static int endOfHead(ByteBuf in) {
    int to = Math.min(in.writerIndex(), in.readerIndex() + MAX_REQUEST);
    for (int i = in.readerIndex(); i + 3 < to; i++) {
      if (in.getByte(i) == '\r'
          && in.getByte(i + 1) == '\n'
          && in.getByte(i + 2) == '\r'
          && in.getByte(i + 3) == '\n') {
        return i + 4;
      }
    }
    return -1;
  }

  private void refuse(ChannelHandlerContext ctx, String why) {
    closed = true;
    refused.accept(ctx.channel(), why);
    ctx.writeAndFlush(Unpooled.wrappedBuffer(NOT_FOUND)).addListener(ChannelFutureListener.CLOSE);
  }

  /** The bytes of early data in {@code protocol}, or null if it is none (a real subprotocol). */
  static byte[] earlyData(String protocol) {
    try {
      return Base64.getUrlDecoder().decode(protocol.replace('+', '-').replace('/', '_'));
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  static String accept(String key) {
    try {
      MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
      return Base64.getEncoder()
          .encodeToString(sha1.digest((key + GUID).getBytes(StandardCharsets.US_ASCII)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-1", e);
    }
  }

  private static String pathOnly(String uri) {
    int q = uri.indexOf('?');
    String p = q < 0 ? uri : uri.substring(0, q);
    return p.isEmpty() ? "/" : p;
  }
}
