package dev.turnout.outbound.ssh;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageCodec;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.List;

/**
 * The SSH transport's framing (RFC 4253 sections 4.2 and 6) on the connection to the server: first
 * the server's identification line (a {@link String}: pre-banner lines are skipped, at most {@value
 * #MAX_BANNER} bytes of them), then packets, whose payloads go up as {@link ByteBuf}s; payloads
 * written down go out padded, sealed and numbered. One packet per decode, so the session sees a
 * NEWKEYS before the packet after it is opened: {@link #nextInbound} is the cipher that NEWKEYS
 * brings in; {@link #outbound} takes effect at once, so the session sets it right after writing its
 * own NEWKEYS. With strict key exchange (the Terrapin fix) each NEWKEYS restarts that direction's
 * sequence numbers.
 */
final class PacketCodec extends ByteToMessageCodec<ByteBuf> {
  /** The largest packet accepted: OpenSSH sends at most 256 KiB. */
  static final int MAX_PACKET = 256 * 1024;

  private static final int MAX_BANNER = 8192;
  private static final int MSG_NEWKEYS = 21;

  private final SecureRandom random = new SecureRandom();
  private boolean identified;
  private int bannerBytes;
  private PacketCipher in = PacketCipher.NONE;
  private PacketCipher out = PacketCipher.NONE;
  private PacketCipher nextIn;
  private boolean strict;
  private int inSeq;
  private int outSeq;

  /** The first block of the packet being read, opened, or null before it arrives. */
  private byte[] first;

  private int packetLength;

  /** Sets the cipher the server's next NEWKEYS switches to. */
  void nextInbound(PacketCipher cipher, boolean strictKex) {
    nextIn = cipher;
    strict = strictKex;
  }

  /** The sequence number of the last packet read, for UNIMPLEMENTED. */
  int lastInboundSequence() {
    return inSeq - 1;
  }

  /** Switches what this side sends: call right after writing NEWKEYS. */
  void outbound(PacketCipher cipher) {
    out = cipher;
    if (strict) {
      outSeq = 0;
    }
  }

  @Override
  protected void encode(ChannelHandlerContext ctx, ByteBuf payload, ByteBuf wire) {
    int n = payload.readableBytes();
    int bs = out.blockSize();
    int aligned = (out.lengthInClear() ? 1 : 5) + n;
    int padding = bs - aligned % bs;
    if (padding < 4) {
      padding += bs;
    }
    byte[] plain = new byte[5 + n + padding];
    int length = 1 + n + padding;
    plain[0] = (byte) (length >>> 24);
    plain[1] = (byte) (length >>> 16);
    plain[2] = (byte) (length >>> 8);
    plain[3] = (byte) length;
    plain[4] = (byte) padding;
    payload.readBytes(plain, 5, n);
    if (out != PacketCipher.NONE) {
      byte[] pad = new byte[padding];
      random.nextBytes(pad);
      System.arraycopy(pad, 0, plain, 5 + n, padding);
    }
    wire.writeBytes(out.seal(outSeq++, plain));
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf buf, List<Object> result)
      throws SshException {
    if (!identified) {
      readIdentification(buf, result);
      return;
    }
    int bs = in.blockSize();
    int head = in.lengthInClear() ? 4 : bs;
    if (first == null) {
      if (buf.readableBytes() < head) {
        return;
      }
      first = new byte[head];
      buf.readBytes(first);
      in.openFirst(first);
      packetLength =
          (first[0] & 0xff) << 24
              | (first[1] & 0xff) << 16
              | (first[2] & 0xff) << 8
              | first[3] & 0xff;
      int aligned = in.lengthInClear() ? packetLength : packetLength + 4;
      if (packetLength < 5 || packetLength > MAX_PACKET || aligned % bs != 0) {
        throw new SshException("a packet of length " + Integer.toUnsignedString(packetLength));
      }
    }
    int rest = 4 + packetLength + in.tagLength() - first.length;
    if (buf.readableBytes() < rest) {
      return;
    }
    byte[] wire = new byte[first.length + rest];
    System.arraycopy(first, 0, wire, 0, first.length);
    buf.readBytes(wire, first.length, rest);
    first = null;
    byte[] plain = in.open(inSeq++, wire);
    int padding = plain[4] & 0xff;
    int n = packetLength - 1 - padding;
    if (padding < 4 || n < 1) {
      throw new SshException("a packet with " + padding + " bytes of padding");
    }
    ByteBuf payload = Unpooled.wrappedBuffer(plain, 5, n);
    if (plain[5] == MSG_NEWKEYS) {
      if (nextIn == null) {
        throw new SshException("NEWKEYS before any key exchange");
      }
      in = nextIn;
      nextIn = null;
      if (strict) {
        inSeq = 0;
      }
    }
    result.add(payload);
  }

  private void readIdentification(ByteBuf buf, List<Object> result) throws SshException {
    int eol = buf.indexOf(buf.readerIndex(), buf.writerIndex(), (byte) '\n');
    if (eol < 0) {
      if (bannerBytes + buf.readableBytes() > MAX_BANNER) {
        throw new SshException("the server sent no SSH identification line");
      }
      return;
    }
    int length = eol - buf.readerIndex() + 1;
    bannerBytes += length;
    String line = buf.readCharSequence(length, StandardCharsets.ISO_8859_1).toString().strip();
    if (line.startsWith("SSH-")) {
      identified = true;
      result.add(line);
    } else if (bannerBytes > MAX_BANNER) {
      throw new SshException("the server sent no SSH identification line");
    }
  }
}
