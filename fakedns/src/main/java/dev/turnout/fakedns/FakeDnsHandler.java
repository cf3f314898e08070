package dev.turnout.fakedns;

import java.net.Inet4Address;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Decides the answer to one DNS query; owns no sockets (upstream traffic goes through {@link
 * Upstream}).
 *
 * <ul>
 *   <li>{@code IN A} for a name not matched by the filter: a fake address from the pool, TTL 1.
 *   <li>{@code IN HTTPS}/{@code SVCB} for such a name: an empty NOERROR answer, since their IP
 *       hints would hand the client real addresses (DESIGN §5).
 *   <li>{@code AXFR}/{@code IXFR}: REFUSED. Everything else, AAAA included for now: forwarded.
 *   <li>No question, or more than one: FORMERR. Opcode other than QUERY: NOTIMP. Upstream failure:
 *       SERVFAIL.
 * </ul>
 *
 * Every response copies the query's ID, opcode, RD flag and question, and sets QR and RA. OPT is
 * included only when the query had one. The returned stage never completes exceptionally.
 * Thread-safe.
 */
public final class FakeDnsHandler {
  private static final Logger log = LoggerFactory.getLogger(FakeDnsHandler.class);
  private static final int FAKE_TTL = 1;
  private static final int EDNS_PAYLOAD = 1232;

  private final FakeIpPool pool;
  private final DomainFilter filter;
  private final Function<Message, CompletionStage<Message>> upstream;

  final LongAdder fakeAnswers = new LongAdder();
  final LongAdder forwarded = new LongAdder();
  final LongAdder errors = new LongAdder();

  /** {@code filter} names get real answers; the upstream serves them and all non-A queries. */
  public FakeDnsHandler(FakeIpPool pool, DomainFilter filter, Upstream upstream) {
    this(pool, filter, Objects.requireNonNull(upstream, "upstream")::query);
  }

  /** For tests: {@code upstream} stands in for {@link Upstream#query}. */
  FakeDnsHandler(
      FakeIpPool pool, DomainFilter filter, Function<Message, CompletionStage<Message>> upstream) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.filter = Objects.requireNonNull(filter, "filter");
    this.upstream = upstream;
  }

  /** The pool this handler allocates from (the relay's reverse lookups use the same one). */
  public FakeIpPool pool() {
    return pool;
  }

  /** Answers {@code query}; never throws, and the stage never fails. */
  public CompletionStage<Message> handle(Message query) {
    try {
      return answer(query);
    } catch (RuntimeException e) {
      errors.increment();
      log.warn("internal error answering a query; sending SERVFAIL", e);
      return CompletableFuture.completedFuture(reply(query, Rcode.SERVFAIL));
    }
  }

  private CompletionStage<Message> answer(Message query) {
    if (query.getHeader().getOpcode() != Opcode.QUERY) {
      return done(reply(query, Rcode.NOTIMP));
    }
    Record question = query.getQuestion();
    if (question == null || query.getHeader().getCount(Section.QUESTION) != 1) {
      return done(reply(query, Rcode.FORMERR));
    }
    int type = question.getType();
    if (type == Type.AXFR || type == Type.IXFR) {
      return done(reply(query, Rcode.REFUSED));
    }
    boolean fakeable =
        question.getDClass() == DClass.IN
            && question.getName().labels() > 1 // not the root
            && !filter.matches(question.getName().toString(true));
    if (fakeable && type == Type.A) {
      Inet4Address address = pool.addressFor(question.getName().toString(true));
      Message response = reply(query, Rcode.NOERROR);
      response.addRecord(
          new ARecord(question.getName(), DClass.IN, FAKE_TTL, address), Section.ANSWER);
      fakeAnswers.increment();
      return done(response);
    }
    if (fakeable && (type == Type.HTTPS || type == Type.SVCB)) {
      fakeAnswers.increment();
      return done(reply(query, Rcode.NOERROR));
    }
    forwarded.increment();
    CompletionStage<Message> pending;
    try {
      pending = upstream.apply(query);
    } catch (RuntimeException e) {
      pending = CompletableFuture.failedFuture(e);
    }
    return pending.handle(
        (answer, error) -> {
          if (error != null) {
            errors.increment();
            log.debug("upstream failed for {}: {}", question.getName(), error.toString());
            return reply(query, Rcode.SERVFAIL);
          }
          return fromUpstream(query, answer);
        });
  }

  private static Message fromUpstream(Message query, Message answer) {
    answer.getHeader().setID(query.getHeader().getID());
    answer.getHeader().setFlag(Flags.QR);
    answer.getHeader().setFlag(Flags.RA);
    if (query.getHeader().getFlag(Flags.RD)) {
      answer.getHeader().setFlag(Flags.RD);
    } else {
      answer.getHeader().unsetFlag(Flags.RD);
    }
    OPTRecord opt = answer.getOPT();
    if (query.getOPT() == null && opt != null) {
      answer.removeRecord(opt, Section.ADDITIONAL); // the client did not speak EDNS
    }
    return answer;
  }

  /** An empty response to {@code query} with {@code rcode}; works on any parsed message. */
  static Message reply(Message query, int rcode) {
    Message response = new Message(query.getHeader().getID());
    response.getHeader().setOpcode(query.getHeader().getOpcode());
    response.getHeader().setFlag(Flags.QR);
    response.getHeader().setFlag(Flags.RA);
    if (query.getHeader().getFlag(Flags.RD)) {
      response.getHeader().setFlag(Flags.RD);
    }
    response.getHeader().setRcode(rcode);
    if (rcode != Rcode.FORMERR && query.getHeader().getCount(Section.QUESTION) == 1) {
      response.addRecord(query.getQuestion(), Section.QUESTION);
    }
    if (query.getOPT() != null) {
      response.addRecord(new OPTRecord(EDNS_PAYLOAD, 0, 0), Section.ADDITIONAL);
    }
    return response;
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }
}
