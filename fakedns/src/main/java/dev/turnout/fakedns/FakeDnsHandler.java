package dev.turnout.fakedns;

import dev.turnout.netbase.HostNames;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.LogLimiter;
import dev.turnout.netbase.TimeSource;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.PTRRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.ReverseMap;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Decides the answer to one DNS query; owns no sockets (upstream traffic goes through {@link
 * Upstream}).
 *
 * <ul>
 *   <li>{@code hosts:} entries: A/AAAA answered locally (TTL {@value #HOSTS_TTL}), for any name.
 *   <li>A name gets fake answers when the filter says so: in {@link DomainFilter.Mode#BLACKLIST}
 *       mode when it does not match, in {@code WHITELIST} mode when it does. For such a name:
 *       {@code A} is a fake IPv4 address, TTL 1 (SERVFAIL when every pool address is pinned);
 *       {@code AAAA} a fake IPv6 address when a v6 pool is configured, otherwise an empty NOERROR;
 *       {@code HTTPS}/{@code SVCB} an empty NOERROR, since their IP hints would hand the client
 *       real addresses (docs/design.md, "Fake IPs").
 *   <li>{@code PTR} for an address inside a fake pool: the mapped name, or NXDOMAIN if unmapped.
 *   <li>{@code AXFR}/{@code IXFR}: REFUSED. Everything else is forwarded upstream unchanged, except
 *       that answer records inside Turnout's own range are removed. An IP literal typed as a name
 *       never gets a fake address.
 *   <li>No question, or more than one: FORMERR. Opcode other than QUERY: NOTIMP. EDNS version other
 *       than 0: BADVERS. Upstream failure: SERVFAIL.
 * </ul>
 *
 * Every response copies the query's ID, opcode, RD flag and question, and sets QR and RA. OPT is
 * included only when the query had one. The returned stage never completes exceptionally.
 * Thread-safe.
 */
public final class FakeDnsHandler {
  private static final Logger log = LoggerFactory.getLogger(FakeDnsHandler.class);
  static final int FAKE_TTL = 1;
  static final int HOSTS_TTL = 10;
  static final int EDNS_PAYLOAD = 1232;
  private static final int BADVERS = 16;

  private final FakeIpPool pool;
  private final FakeIpPool pool6; // null: AAAA for fake names is an empty answer
  private final DomainFilter filter;
  private final DomainFilter.Mode mode;
  private final Hosts hosts;
  private final ForbiddenRange forbidden;
  private final AllocationQuota quota; // null: none
  private final Function<Message, CompletionStage<Message>> upstream;

  final LongAdder fakeAnswers = new LongAdder();
  final LongAdder forwarded = new LongAdder();
  final LongAdder local = new LongAdder();
  final LongAdder errors = new LongAdder();
  final LongAdder exhausted = new LongAdder();
  final LongAdder strippedAnswers = new LongAdder();
  private final LogLimiter strippedLog = new LogLimiter(1, 5);

  /** Blacklist mode, no v6 pool, no hosts: {@code filter} names get real answers. */
  public FakeDnsHandler(FakeIpPool pool, DomainFilter filter, Upstream upstream) {
    this(builder(pool, upstream).filter(filter, DomainFilter.Mode.BLACKLIST));
  }

  /** For tests: {@code upstream} stands in for {@link Upstream#query}. */
  FakeDnsHandler(
      FakeIpPool pool, DomainFilter filter, Function<Message, CompletionStage<Message>> upstream) {
    this(new Builder(pool, upstream).filter(filter, DomainFilter.Mode.BLACKLIST));
  }

  private FakeDnsHandler(Builder b) {
    this.pool = b.pool;
    this.pool6 = b.pool6;
    this.filter = b.filter;
    this.mode = b.mode;
    this.hosts = b.hosts;
    this.forbidden = b.forbidden;
    this.quota = b.quota;
    this.upstream = b.upstream;
  }

  /** Starts a handler over an IPv4 {@code pool} answering the rest through {@code upstream}. */
  public static Builder builder(FakeIpPool pool, Upstream upstream) {
    return new Builder(pool, Objects.requireNonNull(upstream, "upstream")::query);
  }

  /**
   * Starts a handler over an IPv4 {@code pool} answering the rest through {@code resolver} ({@code
   * nameserver-policy}, {@code fallback}).
   */
  public static Builder builder(FakeIpPool pool, DnsResolver resolver) {
    return new Builder(pool, Objects.requireNonNull(resolver, "resolver")::query);
  }

  /** For tests: {@code upstream} stands in for {@link Upstream#query}. */
  static Builder builder(FakeIpPool pool, Function<Message, CompletionStage<Message>> upstream) {
    return new Builder(pool, upstream);
  }

  /** The IPv4 pool this handler allocates from (the relay's reverse lookups use the same one). */
  public FakeIpPool pool() {
    return pool;
  }

  /** The IPv6 pool, if AAAA queries get fake answers. */
  public Optional<FakeIpPool> pool6() {
    return Optional.ofNullable(pool6);
  }

  /**
   * Whether {@code name} gets fake answers (as opposed to real ones) under the filter mode. Never
   * an IP literal typed as a name ({@code 127.0.0.1.}): that would let whoever asks make Turnout
   * dial the address, loopback included; nor a name that is not a host name ({@link HostNames}:
   * escaped bytes, over 253 characters), which no one could dial. Upstream answers those as any
   * other name (NXDOMAIN).
   */
  public boolean isFaked(String name) {
    String bare = name.endsWith(".") ? name.substring(0, name.length() - 1) : name;
    if (IpLiterals.parseOrNull(bare) != null || !HostNames.valid(bare)) {
      return false;
    }
    boolean matches = filter.matches(name);
    return mode == DomainFilter.Mode.BLACKLIST ? !matches : matches;
  }

  /** Answers {@code query} from an unknown client (no quota); never throws, never fails. */
  public CompletionStage<Message> handle(Message query) {
    return handle(query, null);
  }

  /**
   * Answers {@code query} from {@code client}, whose new fake-IP mappings count against its quota
   * (null: none); never throws, and the stage never fails.
   */
  public CompletionStage<Message> handle(Message query, InetAddress client) {
    try {
      return answer(query, client);
    } catch (RuntimeException e) {
      errors.increment();
      log.warn("internal error answering a query; sending SERVFAIL", e);
      return CompletableFuture.completedFuture(reply(query, Rcode.SERVFAIL));
    }
  }

  private CompletionStage<Message> answer(Message query, InetAddress client) {
    if (query.getHeader().getOpcode() != Opcode.QUERY) {
      return done(reply(query, Rcode.NOTIMP));
    }
    Record question = query.getQuestion();
    if (question == null || query.getHeader().getCount(Section.QUESTION) != 1) {
      return done(reply(query, Rcode.FORMERR));
    }
    OPTRecord opt = query.getOPT();
    if (opt != null && opt.getVersion() != 0) {
      Message r = reply(query, Rcode.NOERROR);
      r.removeAllRecords(Section.ADDITIONAL);
      r.addRecord(new OPTRecord(EDNS_PAYLOAD, BADVERS >> 4, 0), Section.ADDITIONAL);
      return done(r);
    }
    int type = question.getType();
    if (type == Type.AXFR || type == Type.IXFR) {
      return done(reply(query, Rcode.REFUSED));
    }
    Name qname = question.getName();
    if (question.getDClass() == DClass.IN && qname.labels() > 1) { // not the root
      Message local = answerLocally(query, qname, type, client);
      if (local != null) {
        return done(local);
      }
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
            log.debug("upstream failed for {}: {}", qname, error.toString());
            return reply(query, Rcode.SERVFAIL);
          }
          return fromUpstream(query, answer);
        });
  }

  /** The answer from hosts, the fake pools or the PTR table; null to forward. */
  private Message answerLocally(Message query, Name qname, int type, InetAddress client) {
    String name = qname.toString(true);
    if ((type == Type.A || type == Type.AAAA) && !hosts.isEmpty()) {
      List<InetAddress> entry = hosts.lookup(name);
      if (entry != null) {
        local.increment();
        Message r = reply(query, Rcode.NOERROR);
        for (InetAddress a : entry) {
          if (type == Type.A && a instanceof Inet4Address) {
            r.addRecord(new ARecord(qname, DClass.IN, HOSTS_TTL, a), Section.ANSWER);
          } else if (type == Type.AAAA && a instanceof Inet6Address) {
            r.addRecord(new AAAARecord(qname, DClass.IN, HOSTS_TTL, a), Section.ANSWER);
          }
        }
        return r;
      }
    }
    if (type == Type.PTR) {
      return reverse(query, qname);
    }
    Fake fake = fake(name, type, client);
    if (fake == null) {
      return null;
    }
    Message r = reply(query, fake.rcode());
    if (fake.address() != null) {
      r.addRecord(
          type == Type.A
              ? new ARecord(qname, DClass.IN, FAKE_TTL, fake.address())
              : new AAAARecord(qname, DClass.IN, FAKE_TTL, fake.address()),
          Section.ANSWER);
    }
    return r;
  }

  /**
   * A fake answer: NOERROR with {@code address} or with no record (AAAA without a v6 pool, HTTPS,
   * SVCB), or SERVFAIL (pool exhausted, quota refused) without one.
   */
  record Fake(int rcode, InetAddress address) {}

  /**
   * For {@link QueryProcessor}'s wire fast path: the answer {@link #handle} gives an opcode-QUERY,
   * class-IN query with one question of {@code type} (A, AAAA, HTTPS or SVCB) for the host name
   * {@code name} (as {@code Name.toString(true)} prints it) from {@code client}, with the same
   * counters and pool effects; null when {@link #handle} must answer it (a {@code hosts:} entry, a
   * name that is not faked).
   */
  Fake fastAnswer(String name, int type, InetAddress client) {
    try {
      if ((type == Type.A || type == Type.AAAA) && !hosts.isEmpty() && hosts.lookup(name) != null) {
        return null;
      }
      return fake(name, type, client);
    } catch (RuntimeException e) { // as handle() does
      errors.increment();
      log.warn("internal error answering a query; sending SERVFAIL", e);
      return new Fake(Rcode.SERVFAIL, null);
    }
  }

  /** The fake answer for {@code name}, or null when it is not faked or {@code type} never is. */
  private Fake fake(String name, int type, InetAddress client) {
    if (type != Type.A && type != Type.AAAA && type != Type.HTTPS && type != Type.SVCB) {
      return null;
    }
    if (!isFaked(name)) {
      return null;
    }
    fakeAnswers.increment();
    if (type == Type.A || (type == Type.AAAA && pool6 != null)) {
      Budget budget = new Budget(client == null ? null : quota, client, name);
      Optional<InetAddress> address = (type == Type.A ? pool : pool6).tryAddressFor(name, budget);
      if (address.isEmpty()) {
        if (!budget.refused) { // the quota counts its own refusals
          exhausted.increment();
        }
        return new Fake(Rcode.SERVFAIL, null);
      }
      return new Fake(Rcode.NOERROR, address.get());
    }
    return new Fake(Rcode.NOERROR, null); // AAAA without a v6 pool, HTTPS, SVCB: empty
  }

  private Message reverse(Message query, Name qname) {
    InetAddress address;
    try {
      address = ReverseMap.fromName(qname);
    } catch (UnknownHostException | RuntimeException e) {
      return null; // not a complete reverse name: the upstream may know it
    }
    FakeIpPool owner =
        pool.contains(address) ? pool : pool6 != null && pool6.contains(address) ? pool6 : null;
    if (owner == null) {
      return null;
    }
    local.increment();
    Optional<String> name = owner.nameFor(address);
    if (name.isEmpty()) {
      return reply(query, Rcode.NXDOMAIN);
    }
    try {
      Message r = reply(query, Rcode.NOERROR);
      r.addRecord(
          new PTRRecord(qname, DClass.IN, FAKE_TTL, Name.fromString(name.get(), Name.root)),
          Section.ANSWER);
      return r;
    } catch (TextParseException e) {
      return reply(query, Rcode.SERVFAIL); // a stored name that no longer parses: cannot happen
    }
  }

  private Message fromUpstream(Message query, Message answer) {
    stripOwnRange(answer);
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

  /**
   * Removes answer records that point into Turnout's own range (the fake IPs and NAT sessions): an
   * upstream that hands those out, by mistake or on purpose, would send clients into the TUN as if
   * Turnout had mapped the name. Counted, and logged at a limited rate.
   */
  private void stripOwnRange(Message answer) {
    int stripped = 0;
    for (Record r : List.copyOf(answer.getSection(Section.ANSWER))) {
      InetAddress address =
          r instanceof ARecord a
              ? a.getAddress()
              : r instanceof AAAARecord a ? a.getAddress() : null;
      if (address != null && ownRange(address)) {
        answer.removeRecord(r, Section.ANSWER);
        stripped++;
      }
    }
    if (stripped > 0) {
      strippedAnswers.add(stripped);
      if (strippedLog.allow()) {
        log.warn(
            "upstream answered {} with address(es) inside Turnout's own range; removed them ({}"
                + " more such answers not logged)",
            answer.getQuestion() == null ? "?" : answer.getQuestion().getName(),
            strippedLog.takeSuppressed());
      }
    }
  }

  private boolean ownRange(InetAddress address) {
    return forbidden.contains(address)
        || pool.contains(address)
        || (pool6 != null && pool6.contains(address));
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

  /** Asks the client's quota when the pool needs a new mapping, and remembers a refusal. */
  private static final class Budget implements BooleanSupplier {
    private final AllocationQuota quota; // null: no quota
    private final InetAddress client;
    private final String name;
    boolean refused;

    Budget(AllocationQuota quota, InetAddress client, String name) {
      this.quota = quota;
      this.client = client;
      this.name = name;
    }

    @Override
    public boolean getAsBoolean() {
      refused = quota != null && !quota.allow(client, name);
      return !refused;
    }
  }

  private static <T> CompletionStage<T> done(T value) {
    return CompletableFuture.completedFuture(value);
  }

  /** Configures a {@link FakeDnsHandler}. Not thread-safe; build once. */
  public static final class Builder {
    private final FakeIpPool pool;
    private final Function<Message, CompletionStage<Message>> upstream;
    private FakeIpPool pool6;
    private DomainFilter filter = DomainFilter.empty();
    private DomainFilter.Mode mode = DomainFilter.Mode.BLACKLIST;
    private Hosts hosts = Hosts.empty();
    private ForbiddenRange forbidden = ForbiddenRange.NONE;
    private AllocationQuota quota = AllocationQuota.defaults();

    private Builder(FakeIpPool pool, Function<Message, CompletionStage<Message>> upstream) {
      this.pool = Objects.requireNonNull(pool, "pool");
      this.upstream = Objects.requireNonNull(upstream, "upstream");
      if (!(pool.firstAddress() instanceof Inet4Address)) {
        throw new IllegalArgumentException("the main pool must be IPv4");
      }
    }

    /** {@code fake-ip-filter} and {@code fake-ip-filter-mode}; default: empty, blacklist. */
    public Builder filter(DomainFilter filter, DomainFilter.Mode mode) {
      this.filter = Objects.requireNonNull(filter, "filter");
      this.mode = Objects.requireNonNull(mode, "mode");
      return this;
    }

    /** An IPv6 pool for AAAA ({@code ipv6: true}); default none: AAAA answers are empty. */
    public Builder ipv6Pool(FakeIpPool pool6) {
      if (!(pool6.firstAddress() instanceof Inet6Address)) {
        throw new IllegalArgumentException("the v6 pool must be IPv6");
      }
      this.pool6 = pool6;
      return this;
    }

    /** {@code hosts:} entries answered locally; default none. */
    public Builder hosts(Hosts hosts) {
      this.hosts = Objects.requireNonNull(hosts, "hosts");
      return this;
    }

    /**
     * Turnout's whole IPv4 range (fake IPs and NAT sessions): upstream answers inside it are
     * removed. Default: the pools' own ranges only.
     */
    public Builder forbiddenRange(int firstAddress, int lastAddress) {
      this.forbidden = new ForbiddenRange(firstAddress, lastAddress);
      return this;
    }

    /**
     * New fake-IP mappings each client may cause: {@code perSecond} with bursts of {@code burst};
     * default {@value AllocationQuota#PER_SECOND} a second, bursts of {@value
     * AllocationQuota#BURST}. Zero turns the quota off.
     */
    public Builder allocationQuota(double perSecond, int burst) {
      this.quota = perSecond == 0 ? null : new AllocationQuota(perSecond, burst, TimeSource.SYSTEM);
      return this;
    }

    Builder allocationQuota(AllocationQuota quota) {
      this.quota = quota;
      return this;
    }

    public FakeDnsHandler build() {
      return new FakeDnsHandler(this);
    }
  }
}
