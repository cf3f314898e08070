package dev.turnout.fakedns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.net.InetAddress;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;

/**
 * Bytes in, bytes out: parses a query, asks the handler, encodes the answer within the transport's
 * size limit (setting TC when it does not fit). Both the UDP and the TCP server call this; it owns
 * no sockets. Malformed input is a counted, once-logged drop or FORMERR, never an exception.
 */
final class QueryProcessor {
  private static final Logger log = LoggerFactory.getLogger(QueryProcessor.class);
  static final int UDP_MIN = 512;
  static final int UDP_MAX = 4096;
  static final int TCP_MAX = 65535;

  enum Drop {
    SHORT_HEADER("shorter than a DNS header"),
    NOT_A_QUERY("QR bit set: a response, not a query"),
    UNPARSEABLE("header readable but message malformed; answered FORMERR"),
    ENCODE_FAILED("answer could not be encoded");

    final String reason;

    Drop(String reason) {
      this.reason = reason;
    }
  }

  private volatile FakeDnsHandler handler;
  final LongAdder queries = new LongAdder();
  final LongAdder malformed = new LongAdder();
  private final Set<Drop> logged = EnumSet.noneOf(Drop.class);

  QueryProcessor(FakeDnsHandler handler) {
    this.handler = handler;
  }

  FakeDnsHandler handler() {
    return handler;
  }

  void handler(FakeDnsHandler next) {
    handler = next;
  }

  /**
   * Answers the query in {@code wire}. Completes with the encoded response, or {@code null} when
   * the input is dropped. {@code udp} limits the answer to the client's EDNS payload size (512
   * without EDNS); otherwise to 65535. Never throws and never completes exceptionally.
   */
  CompletionStage<byte[]> process(byte[] wire, boolean udp) {
    return process(wire, udp, null);
  }

  /** {@link #process(byte[], boolean)} for {@code client}, whose fake-IP quota it uses. */
  CompletionStage<byte[]> process(byte[] wire, boolean udp, InetAddress client) {
    queries.increment();
    if (wire.length < Header.LENGTH) {
      return drop(Drop.SHORT_HEADER, null);
    }
    if ((wire[2] & 0x80) != 0) {
      return drop(Drop.NOT_A_QUERY, null);
    }
    Message query;
    try {
      query = new Message(wire);
    } catch (Exception e) { // IOException normally; anything else is a parser bug: same treatment
      return drop(Drop.UNPARSEABLE, formErr(wire));
    }
    int limit = udp ? udpLimit(query) : TCP_MAX;
    return handler
        .handle(query, client)
        .handle(
            (response, error) -> {
              try {
                Message m =
                    response != null ? response : FakeDnsHandler.reply(query, Rcode.SERVFAIL);
                return m.toWire(limit);
              } catch (RuntimeException e) {
                note(Drop.ENCODE_FAILED, e);
                return null;
              }
            });
  }

  /**
   * Answers {@code query} straight from its bytes when it is a fake-IP question {@link
   * FakeAnswerCodec} reads; null when it is not, and {@link #process} must answer it. Either way
   * the answer is the same bytes. Counted like {@link #process}. {@code query} is only read (the
   * caller still owns it); the caller owns the returned buffer.
   */
  ByteBuf answerFast(ByteBuf query, InetAddress client, ByteBufAllocator alloc) {
    int end = FakeAnswerCodec.questionEnd(query);
    if (end == FakeAnswerCodec.NOT_FAST) {
      return null;
    }
    FakeDnsHandler.Fake fake =
        handler.fastAnswer(
            FakeAnswerCodec.name(query, end), FakeAnswerCodec.type(query, end), client);
    if (fake == null) {
      return null;
    }
    queries.increment();
    return FakeAnswerCodec.answer(
        alloc,
        query,
        end,
        fake.rcode(),
        fake.address(),
        FakeDnsHandler.FAKE_TTL,
        FakeDnsHandler.EDNS_PAYLOAD);
  }

  private static int udpLimit(Message query) {
    OPTRecord opt = query.getOPT();
    if (opt == null) {
      return UDP_MIN;
    }
    return Math.max(UDP_MIN, Math.min(UDP_MAX, opt.getPayloadSize()));
  }

  /** A bare FORMERR echoing the ID, opcode and RD of a header we could read. */
  private static byte[] formErr(byte[] wire) {
    Header h = new Header((wire[0] & 0xff) << 8 | (wire[1] & 0xff));
    h.setOpcode((wire[2] >> 3) & 0x0f);
    h.setFlag(Flags.QR);
    if ((wire[2] & 0x01) != 0) {
      h.setFlag(Flags.RD);
    }
    h.setRcode(Rcode.FORMERR);
    return h.toWire();
  }

  private CompletionStage<byte[]> drop(Drop reason, byte[] answer) {
    note(reason, null);
    return CompletableFuture.completedFuture(answer);
  }

  private void note(Drop reason, Throwable cause) {
    malformed.increment();
    boolean first;
    synchronized (logged) {
      first = logged.add(reason);
    }
    if (first) {
      log.warn("malformed DNS input ({}); further ones are only counted", reason.reason, cause);
    }
  }
}
