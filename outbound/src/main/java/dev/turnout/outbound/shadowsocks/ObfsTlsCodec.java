package dev.turnout.outbound.shadowsocks;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * simple-obfs in tls mode ({@code plugin: obfs}, {@code mode: tls}): the first chunk rides in the
 * session-ticket extension of a fake TLS 1.2 ClientHello naming {@code host}; later chunks go in
 * application-data records of at most 16 KiB. The server's first reply is a fake ServerHello and
 * ChangeCipherSpec (105 bytes before the first record's length) and its data follows in records;
 * each record's 3-byte type and version is skipped and its length bounded. Anything else closes the
 * connection. One per connection.
 */
final class ObfsTlsCodec extends ByteToMessageCodec<ByteBuf> {
  private static final Logger LOG = LoggerFactory.getLogger(ObfsTlsCodec.class);
  static final int CHUNK = 1 << 14;
  static final int MAX_RECORD = CHUNK + 2048;
  private static final int FIRST_SKIP = 105;

  private static final byte[] CIPHER_SUITES = {
    (byte) 0xc0,
    0x2c,
    (byte) 0xc0,
    0x30,
    0x00,
    (byte) 0x9f,
    (byte) 0xcc,
    (byte) 0xa9,
    (byte) 0xcc,
    (byte) 0xa8,
    (byte) 0xcc,
    (byte) 0xaa,
    (byte) 0xc0,
    0x2b,
    (byte) 0xc0,
    0x2f,
    0x00,
    (byte) 0x9e,
    (byte) 0xc0,
    0x24,
    (byte) 0xc0,
    0x28,
    0x00,
    0x6b,
    (byte) 0xc0,
    0x23,
    (byte) 0xc0,
    0x27,
    0x00,
    0x67,
    (byte) 0xc0,
    0x0a,
    (byte) 0xc0,
    0x14,
    0x00,
    0x39,
    (byte) 0xc0,
    0x09,
    (byte) 0xc0,
    0x13,
    0x00,
    0x33,
    0x00,
    (byte) 0x9d,
    0x00,
    (byte) 0x9c,
    0x00,
    0x3d,
    0x00,
    0x3c,
    0x00,
    0x35,
    0x00,
    0x2f,
    0x00,
    (byte) 0xff
  };
  private static final byte[] TAIL_EXTENSIONS = {
    // ec_point_formats
    0x00,
    0x0b,
    0x00,
    0x04,
    0x03,
    0x01,
    0x00,
    0x02,
    // supported_groups
    0x00,
    0x0a,
    0x00,
    0x0a,
    0x00,
    0x08,
    0x00,
    0x1d,
    0x00,
    0x17,
    0x00,
    0x19,
    0x00,
    0x18,
    // signature_algorithms
    0x00,
    0x0d,
    0x00,
    0x20,
    0x00,
    0x1e,
    0x06,
    0x01,
    0x06,
    0x02,
    0x06,
    0x03,
    0x05,
    0x01,
    0x05,
    0x02,
    0x05,
    0x03,
    0x04,
    0x01,
    0x04,
    0x02,
    0x04,
    0x03,
    0x03,
    0x01,
    0x03,
    0x02,
    0x03,
    0x03,
    0x02,
    0x01,
    0x02,
    0x02,
    0x02,
    0x03,
    // encrypt_then_mac, extended_master_secret
    0x00,
    0x16,
    0x00,
    0x00,
    0x00,
    0x17,
    0x00,
    0x00
  };

  private final byte[] host;
  private final RandomGenerator random;
  private final long unixSeconds;
  private boolean helloSent;
  private boolean firstReply = true;
  private int remaining;
  private boolean broken;

  ObfsTlsCodec(String host, RandomGenerator random, long unixSeconds) {
    super(ByteBuf.class);
    this.host = host.getBytes(StandardCharsets.US_ASCII);
    this.random = random;
    this.unixSeconds = unixSeconds;
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf in, ByteBuf out) {
    while (in.isReadable()) {
      int n = Math.min(CHUNK, in.readableBytes());
      if (!helloSent) {
        helloSent = true;
        clientHello(in, n, out);
      } else {
        out.writeByte(0x17).writeShort(0x0303).writeShort(n).writeBytes(in, n);
      }
    }
  }

  private void clientHello(ByteBuf data, int n, ByteBuf out) {
    int extra = n + host.length;
    out.writeByte(22).writeShort(0x0301).writeShort(212 + extra); // handshake record, TLS 1.0
    out.writeByte(1).writeByte(0).writeShort(208 + extra).writeShort(0x0303); // ClientHello
    out.writeInt((int) unixSeconds);
    byte[] randomAndSession = new byte[28 + 32];
    random.nextBytes(randomAndSession);
    out.writeBytes(randomAndSession, 0, 28).writeByte(32).writeBytes(randomAndSession, 28, 32);
    out.writeShort(CIPHER_SUITES.length).writeBytes(CIPHER_SUITES);
    out.writeByte(1).writeByte(0); // compression: null
    out.writeShort(79 + extra);
    out.writeShort(0x0023).writeShort(n).writeBytes(data, n); // session ticket carries the data
    out.writeShort(0x0000).writeShort(host.length + 5).writeShort(host.length + 3);
    out.writeByte(0).writeShort(host.length).writeBytes(host); // server name
    out.writeBytes(TAIL_EXTENSIONS);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    while (!broken && in.isReadable()) {
      if (remaining > 0) {
        int n = Math.min(remaining, in.readableBytes());
        out.add(in.readRetainedSlice(n));
        remaining -= n;
        continue;
      }
      int skip = firstReply ? FIRST_SKIP : 3;
      if (in.readableBytes() < skip + 2) {
        return;
      }
      int type = in.getUnsignedByte(in.readerIndex() + (firstReply ? FIRST_SKIP - 3 : 0));
      if (type != 0x16 && type != 0x17) {
        fail(ctx, in, "record type " + type);
        return;
      }
      remaining = in.getUnsignedShort(in.readerIndex() + skip);
      if (remaining > MAX_RECORD) {
        fail(ctx, in, "record of " + remaining + " bytes");
        return;
      }
      in.skipBytes(skip + 2);
      firstReply = false;
    }
  }

  private void fail(ChannelHandlerContext ctx, ByteBuf in, String why) {
    broken = true;
    in.skipBytes(in.readableBytes());
    LOG.warn("{}: simple-obfs tls: unexpected {} from the server; closing", ctx.channel(), why);
    ctx.close();
  }
}
