package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Type;

/**
 * Reads and writes, straight on the wire bytes, the query shape nearly all DNS traffic to Turnout
 * has: a standard QUERY with one question and nothing else but an optional empty EDNS(0) OPT
 * record, asking A, AAAA, HTTPS or SVCB in class IN for a host name (labels of letters, digits,
 * {@code -} and {@code _}, no compression). Those are the queries the fake pools answer, and this
 * codec lets them be answered without building dnsjava messages: the answer copies the question
 * bytes and appends the record with a pointer to the question's name, as dnsjava writes it.
 *
 * <p>Everything else (other types and classes, other opcodes, more or fewer questions, any other
 * record, EDNS options or versions, trailing bytes, escaped or compressed names) is {@link
 * #NOT_FAST}: {@link QueryProcessor} then parses it with dnsjava, as before. For what this codec
 * accepts, its answer is byte for byte the one dnsjava writes for the {@link FakeDnsHandler}'s
 * reply ({@code FakeAnswerEquivalenceTest}), so the choice never shows on the wire.
 *
 * <p>Stateless and thread-safe. It reads the query buffer with absolute gets (indices and reference
 * count unchanged); the answer buffer it allocates belongs to the caller.
 */
final class FakeAnswerCodec {
  static final int NOT_FAST = -1;
  private static final int HEADER = 12;
  private static final int OPT_LENGTH = 11; // root name, type, class, TTL, empty RDATA
  private static final int MAX_NAME = 255; // wire length, root byte included (RFC 1035 3.1)

  private FakeAnswerCodec() {}

  /**
   * The offset just past the question of {@code query} (from its reader index), when the query has
   * the shape this codec answers; {@link #NOT_FAST} otherwise.
   */
  static int questionEnd(ByteBuf query) {
    int start = query.readerIndex();
    int length = query.readableBytes();
    if (length < HEADER + 1 + 4
        || (query.getUnsignedShort(start + 2) & 0xf800) != 0 // QR clear, opcode QUERY
        || query.getUnsignedShort(start + 4) != 1 // one question
        || query.getUnsignedShort(start + 6) != 0
        || query.getUnsignedShort(start + 8) != 0
        || query.getUnsignedShort(start + 10) > 1) { // at most the OPT record
      return NOT_FAST;
    }
    int at = HEADER;
    int labels = 0;
    while (true) {
      if (at >= length) {
        return NOT_FAST;
      }
      int label = query.getUnsignedByte(start + at);
      if (label == 0) {
        at++;
        break;
      }
      if (label > 63 || at + 1 + label > length || !plain(query, start + at + 1, label)) {
        return NOT_FAST; // a pointer or reserved label type, cut short, or bytes dnsjava escapes
      }
      at += 1 + label;
      labels++;
    }
    if (labels == 0 || at - HEADER > MAX_NAME || at + 4 > length) {
      return NOT_FAST;
    }
    int type = query.getUnsignedShort(start + at);
    if (query.getUnsignedShort(start + at + 2) != DClass.IN
        || (type != Type.A && type != Type.AAAA && type != Type.HTTPS && type != Type.SVCB)) {
      return NOT_FAST;
    }
    at += 4;
    if (!hasOpt(query)) {
      return at == length ? at : NOT_FAST;
    }
    boolean emptyVersion0Opt =
        at + OPT_LENGTH == length
            && query.getUnsignedByte(start + at) == 0 // owner: the root
            && query.getUnsignedShort(start + at + 1) == Type.OPT
            && query.getUnsignedByte(start + at + 6) == 0 // EDNS version
            && query.getUnsignedShort(start + at + 9) == 0; // no options
    return emptyVersion0Opt ? at : NOT_FAST;
  }

  /** Letters, digits, '-' and '_': the bytes dnsjava prints as they are and host names use. */
  private static boolean plain(ByteBuf buf, int from, int count) {
    for (int i = from; i < from + count; i++) {
      int c = buf.getByte(i);
      boolean letterOrDigit =
          (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (!letterOrDigit && c != '-' && c != '_') {
        return false;
      }
    }
    return true;
  }

  /** The question's type; only for a query {@link #questionEnd} accepted, with its result. */
  static int type(ByteBuf query, int questionEnd) {
    return query.getUnsignedShort(query.readerIndex() + questionEnd - 4);
  }

  /** Whether the query carries the OPT record (its additional count is 1). */
  static boolean hasOpt(ByteBuf query) {
    return query.getUnsignedShort(query.readerIndex() + 10) == 1;
  }

  /**
   * The question's name as dnsjava's {@code Name.toString(true)} gives it (case kept, no final
   * dot), for a query {@link #questionEnd} accepted.
   */
  static String name(ByteBuf query, int questionEnd) {
    int start = query.readerIndex();
    byte[] text = new byte[questionEnd - 4 - HEADER - 2]; // no length byte first, no root last
    int at = start + HEADER;
    int out = 0;
    for (int label = query.getUnsignedByte(at); label != 0; label = query.getUnsignedByte(at)) {
      if (out > 0) {
        text[out++] = '.';
      }
      query.getBytes(at + 1, text, out, label);
      out += label;
      at += 1 + label;
    }
    return new String(text, 0, out, java.nio.charset.StandardCharsets.US_ASCII);
  }

  /**
   * The response to {@code query} (accepted by {@link #questionEnd}, which gave {@code
   * questionEnd}): ID, opcode and RD copied, QR and RA set, {@code rcode}, the question, then an
   * answer record for {@code address} with {@code ttl} when there is one, then an OPT record
   * advertising {@code ednsPayload} when the query had one, as {@link FakeDnsHandler#reply} does.
   */
  static ByteBuf answer(
      ByteBufAllocator alloc,
      ByteBuf query,
      int questionEnd,
      int rcode,
      InetAddress address,
      int ttl,
      int ednsPayload) {
    int start = query.readerIndex();
    byte[] rdata = address == null ? null : address.getAddress();
    boolean opt = hasOpt(query);
    int size = questionEnd + (rdata == null ? 0 : 12 + rdata.length) + (opt ? OPT_LENGTH : 0);
    ByteBuf out = alloc.directBuffer(size, size);
    out.writeShort(query.getUnsignedShort(start)); // ID
    out.writeByte(0x80 | (query.getByte(start + 2) & 0x01)); // QR, opcode QUERY, RD as asked
    out.writeByte(0x80 | rcode); // RA
    out.writeShort(1);
    out.writeShort(rdata == null ? 0 : 1);
    out.writeShort(0);
    out.writeShort(opt ? 1 : 0);
    out.writeBytes(query, start + HEADER, questionEnd - HEADER);
    if (rdata != null) {
      out.writeShort(0xc000 | HEADER); // the question's name
      out.writeShort(rdata.length == 4 ? Type.A : Type.AAAA);
      out.writeShort(DClass.IN);
      out.writeInt(ttl);
      out.writeShort(rdata.length);
      out.writeBytes(rdata);
    }
    if (opt) {
      out.writeByte(0);
      out.writeShort(Type.OPT);
      out.writeShort(ednsPayload);
      out.writeInt(0); // extended rcode, version 0, no flags
      out.writeShort(0);
    }
    return out;
  }
}
