package dev.turnout.fakedns;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.turnout.netbase.TimeSource;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.IntConsumer;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;

/**
 * One upstream group: the servers of one {@code nameserver} list (or {@code fallback}, {@code
 * default-nameserver}, one {@code nameserver-policy} entry), tried in order with a per-server
 * timeout; an error, a timeout, or a SERVFAIL/REFUSED answer moves on to the next server. dnsjava's
 * system {@code ResolverConfig} is never consulted: servers are literal addresses, names resolved
 * through the {@link Builder#bootstrap} group ({@code default-nameserver}), or the servers the host
 * uses ({@code system}) or DHCP offers ({@code dhcp://IFACE}), without those that would lead back
 * to Turnout ({@link DiscoveredClient}).
 *
 * <p>Servers may be plain UDP (a truncated answer is retried over TCP), TCP, DNS over TLS or DNS
 * over HTTPS (see {@link DnsTransport}); a server inside the forbidden range (Turnout's own TUN
 * range) is rejected at {@link Builder#build}, so upstream queries never enter the TUN in fake-IP
 * mode. In capture-all mode every socket carries the transport's mark (checked, fail closed).
 * Answers are cached by TTL (see {@link #query}). The upstream query carries a fresh random ID; the
 * answer gets the caller's ID back.
 *
 * <p>{@link #resolveIpv4} is for DIRECT dialing: cached by TTL, and it never returns an address in
 * the forbidden range (the fake-IP range), so Turnout never dials into its own TUN.
 *
 * <p>Thread-safe; futures may complete on the DNS I/O thread, so callers must not block in
 * dependent stages.
 */
public final class Upstream implements java.io.Closeable, dev.turnout.netbase.HostResolver {
  private static final Logger log = LoggerFactory.getLogger(Upstream.class);

  private final List<Nameserver> servers;
  private final List<ServerClient> clients;
  private final DnsTransport transport;
  private final boolean ownsTransport;
  private final Duration timeout;
  private final RandomGenerator random;
  private final TimeSource ticker;
  private final AddressLookup addresses;
  private final Cache<AnswerKey, CachedAnswer> answers; // null: no answer cache
  private final LongAdder cacheHits = new LongAdder();

  /** What makes two questions share an answer: name, type, class and the DO and CD bits. */
  private record AnswerKey(String name, int type, int dclass, boolean dnssecOk, boolean cd) {}

  /** An upstream answer as received, when, and for how long it may be served. */
  private record CachedAnswer(Message message, long storedNanos, long ttlSeconds) {}

  private Upstream(Builder b) {
    this.servers = b.servers;
    this.random = b.random;
    this.ticker = b.ticker;
    this.ownsTransport = b.transport == null;
    this.transport = ownsTransport ? b.own.build() : b.transport;
    this.timeout = transport.timeout();
    List<ServerClient> list = new ArrayList<>();
    for (Nameserver ns : servers) {
      list.add(
          ns.discovered()
              ? transport.discovered(ns, b.forbidden)
              : transport.limited(ns, b.bootstrap));
    }
    this.clients = List.copyOf(list);
    this.addresses =
        new AddressLookup(this::query, b.forbidden, b.ticker, Math.max(1, b.cacheSize));
    this.answers =
        b.cacheSize == 0
            ? null
            : Caffeine.newBuilder()
                .maximumSize(b.cacheSize)
                .executor(Runnable::run) // upkeep on the caller: no pool thread woken per query
                .ticker(b.ticker::nanoTime)
                .expireAfter(
                    Expiry.<AnswerKey, CachedAnswer>creating(
                        (key, cached) -> Duration.ofSeconds(cached.ttlSeconds())))
                .build();
  }

  /**
   * Starts a builder for the given {@code nameserver} entries, as Clash and mihomo write them: an
   * address or a name, with {@code udp://}, {@code tcp://}, {@code tls://} (DNS over TLS), {@code
   * https://...[/path]} (DNS over HTTPS) or {@code rcode://}, and {@code #PROXY}.
   *
   * @throws IllegalArgumentException if the list is empty or an entry cannot be used (the reason:
   *     another form, DNS over QUIC)
   */
  public static Builder builder(List<String> nameservers) {
    return new Builder(nameservers);
  }

  /**
   * Forwards {@code query} and completes with the upstream's answer, carrying the query's ID. Fails
   * with an {@link IOException} (wrapped as the future's cause) when every server failed.
   *
   * <p>NOERROR and NXDOMAIN answers are cached for their smallest TTL (negative answers for the
   * SOA's, at most an hour) and served from the cache with TTLs counted down; answers without a TTL
   * to go by, truncated ones and failures are not cached.
   */
  public CompletableFuture<Message> query(Message query) {
    int clientId = query.getHeader().getID();
    AnswerKey key = answers == null ? null : keyOf(query);
    if (key != null) {
      CachedAnswer cached = answers.getIfPresent(key);
      if (cached != null) {
        cacheHits.increment();
        return CompletableFuture.completedFuture(fromCache(cached, clientId));
      }
    }
    Message out = query.clone();
    out.getHeader().setID(random.nextInt(0x10000));
    return attempt(out, 0, null, null)
        .thenApply(
            answer -> {
              if (key != null) {
                store(key, answer);
              }
              answer.getHeader().setID(clientId);
              return answer;
            });
  }

  /** Forgets every cached name and answer (the dashboards' "flush DNS cache"). */
  public void clearCache() {
    addresses.clear();
    if (answers != null) {
      answers.invalidateAll();
    }
  }

  /** Number of {@link #query} calls answered from the cache. */
  public long cacheHits() {
    return cacheHits.sum();
  }

  private static AnswerKey keyOf(Message query) {
    Record q = query.getQuestion();
    if (q == null || query.getHeader().getCount(Section.QUESTION) != 1) {
      return null;
    }
    OPTRecord opt = query.getOPT();
    boolean dnssecOk = opt != null && (opt.getFlags() & ExtendedFlags.DO) != 0;
    return new AnswerKey(
        q.getName().toString().toLowerCase(Locale.ROOT),
        q.getType(),
        q.getDClass(),
        dnssecOk,
        query.getHeader().getFlag(Flags.CD));
  }

  private void store(AnswerKey key, Message answer) {
    int rcode = answer.getRcode();
    if ((rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN)
        || answer.getHeader().getFlag(Flags.TC)) {
      return;
    }
    long ttl = AddressLookup.MAX_TTL_SECONDS;
    boolean any = false;
    for (int section : new int[] {Section.ANSWER, Section.AUTHORITY}) {
      for (Record r : answer.getSection(section)) {
        long t = r.getTTL();
        if (r instanceof SOARecord soa) {
          t = Math.min(t, soa.getMinimum());
        }
        ttl = Math.min(ttl, t);
        any = true;
      }
    }
    if (!any || ttl <= 0) {
      return;
    }
    answers.put(key, new CachedAnswer(answer.clone(), ticker.nanoTime(), ttl));
  }

  private Message fromCache(CachedAnswer cached, int id) {
    long elapsed = Math.max(0, (ticker.nanoTime() - cached.storedNanos()) / 1_000_000_000L);
    Message m = cached.message().clone();
    m.getHeader().setID(id);
    if (elapsed > 0) {
      for (int section : new int[] {Section.ANSWER, Section.AUTHORITY, Section.ADDITIONAL}) {
        List<Record> records = m.getSection(section);
        m.removeAllRecords(section);
        for (Record r : records) {
          m.addRecord(r instanceof OPTRecord ? r : aged(r, elapsed), section);
        }
      }
    }
    return m;
  }

  private static Record aged(Record r, long elapsed) {
    long ttl = Math.max(0, r.getTTL() - elapsed);
    return Record.newRecord(r.getName(), r.getType(), r.getDClass(), ttl, r.rdataToWireCanonical());
  }

  private CompletableFuture<Message> attempt(
      Message query, int index, Message lastAnswer, Throwable lastError) {
    if (index >= clients.size()) {
      if (lastAnswer != null) {
        return CompletableFuture.completedFuture(lastAnswer);
      }
      return CompletableFuture.failedFuture(
          new IOException("no upstream DNS server answered (" + servers + ")", lastError));
    }
    CompletableFuture<Message> sent;
    try {
      sent = clients.get(index).send(query);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle(
            (answer, error) -> {
              if (error != null) {
                Throwable cause = unwrap(error);
                log.debug("upstream {} failed: {}", servers.get(index), cause.toString());
                return attempt(query, index + 1, lastAnswer, cause);
              }
              int rcode = answer.getRcode();
              if (rcode == Rcode.SERVFAIL || rcode == Rcode.REFUSED) {
                return attempt(query, index + 1, answer, lastError);
              }
              return CompletableFuture.completedFuture(answer);
            })
        .thenCompose(f -> f);
  }

  /** {@link #resolveIpv4} as Turnout's {@link dev.turnout.netbase.HostResolver}. */
  @Override
  public CompletableFuture<List<java.net.InetAddress>> resolve(String host) {
    return resolveIpv4(host).thenApply(List::<java.net.InetAddress>copyOf);
  }

  /**
   * Resolves the IPv4 addresses of {@code name} with an A query, for dialing DIRECT. Answers are
   * cached for their TTL (at least 1 s, at most an hour). Addresses in the forbidden range are
   * dropped. An IPv4 literal is returned as is (unless forbidden).
   *
   * <p>Fails with {@link UnknownHostException} on NXDOMAIN, an error rcode, no usable A record, or
   * a malformed name; with {@link IOException} when no upstream answered.
   */
  public CompletableFuture<List<Inet4Address>> resolveIpv4(String name) {
    return addresses.resolveIpv4(name);
  }

  static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public String toString() {
    return "Upstream" + servers;
  }

  /** Closes kept-alive connections. Queries still work afterwards (reconnecting). */
  public void closeIdleConnections() {
    clients.forEach(ServerClient::close);
  }

  /**
   * Closes every connection and, unless the transport was given to the builder (its owner closes
   * it), stops the I/O thread; queries made afterwards fail with an {@link IOException}.
   * Idempotent.
   */
  @Override
  public void close() {
    closeIdleConnections();
    if (ownsTransport) {
      transport.close();
    }
  }

  /**
   * Checks one {@code nameserver} entry without building anything: the warnings about parts that
   * are ignored (empty when none).
   *
   * @throws IllegalArgumentException with the reason when Turnout cannot use the entry
   */
  public static List<String> check(String spec) {
    return Nameserver.parse(spec).warnings();
  }

  /** Whether {@code spec} (valid per {@link #check}) names its server by name, not address. */
  public static boolean namesItsServer(String spec) {
    return Nameserver.parse(spec).needsResolving();
  }

  /** The outbound after {@code #} in {@code spec}, or null (valid per {@link #check}). */
  public static String outboundOf(String spec) {
    return Nameserver.parse(spec).via();
  }

  /** Configures an {@link Upstream}. Not thread-safe; build once. */
  public static final class Builder {
    private List<Nameserver> servers;
    private final DnsTransport.Builder own = DnsTransport.builder(); // unless one is shared
    private ForbiddenRange forbidden = ForbiddenRange.NONE;
    private TimeSource ticker = TimeSource.SYSTEM;
    private RandomGenerator random = new SecureRandom();
    private long cacheSize = 10_000;
    private DnsTransport transport;
    private Upstream bootstrap;

    private Builder(List<String> nameservers) {
      if (nameservers.isEmpty()) {
        throw new IllegalArgumentException(
            "at least one nameserver is required; " + Nameserver.ACCEPTED);
      }
      this.servers = nameservers.stream().map(Nameserver::parse).toList();
    }

    /**
     * Shares {@code transport} (its I/O thread, mark, TLS settings, timeout and connections) with
     * other groups; {@link #soMark}, {@link #sslContext} and {@link #timeout} are then the
     * transport's. Default: a transport of this group's own, closed with it.
     */
    public Builder transport(DnsTransport transport) {
      this.transport = Objects.requireNonNull(transport);
      return this;
    }

    /**
     * The group that resolves servers given by name ({@code default-nameserver}); its servers
     * should be literal addresses. Default none: a server given by name is an error.
     */
    public Builder bootstrap(Upstream bootstrap) {
      this.bootstrap = Objects.requireNonNull(bootstrap);
      return this;
    }

    /**
     * Sends every server's connections through the outbound {@code via} (a proxy name, or {@link
     * UpstreamDialer#RULES} for {@code respect-rules}), unless a server names its own with {@code
     * #}; needs a transport whose {@link DnsTransport.Builder#dialer} carries them.
     */
    public Builder via(String via) {
      this.servers = servers.stream().map(ns -> ns.via() == null ? ns.through(via) : ns).toList();
      return this;
    }

    /**
     * TLS settings for {@code tls://} and {@code https://} servers; default: the JVM's default
     * context (the JDK trust store, or {@code javax.net.ssl.trustStore}).
     */
    public Builder sslContext(SSLContext context) {
      own.sslContext(context);
      return this;
    }

    /**
     * Entries in each of the two caches (answers to forwarded queries, addresses for DIRECT);
     * default 10,000. Zero turns the answer cache off.
     */
    public Builder cacheSize(long entries) {
      if (entries < 0) {
        throw new IllegalArgumentException("cache size must not be negative: " + entries);
      }
      this.cacheSize = entries;
      return this;
    }

    /** Total time allowed per server (UDP plus a TCP retry) before trying the next; default 2 s. */
    public Builder timeout(Duration timeout) {
      own.timeout(timeout);
      return this;
    }

    /**
     * IPv4 range (inclusive, addresses as big-endian ints) that {@link #resolveIpv4} must never
     * return: the fake-IP range. Default: nothing forbidden.
     */
    public Builder forbiddenRange(int firstAddress, int lastAddress) {
      if (Integer.compareUnsigned(firstAddress, lastAddress) > 0) {
        throw new IllegalArgumentException("forbidden range is empty");
      }
      this.forbidden = new ForbiddenRange(firstAddress, lastAddress);
      return this;
    }

    /**
     * {@code SO_MARK} for every upstream socket of this group's own transport (see {@link
     * DnsTransport.Builder#soMark}). Default 0: no mark.
     */
    public Builder soMark(int mark) {
      own.soMark(mark);
      return this;
    }

    /** Test hook: told the {@code SO_MARK} read back from every marked socket. */
    Builder markRead(IntConsumer observer) {
      own.markRead(observer);
      return this;
    }

    Builder timeSource(TimeSource ticker) {
      this.ticker = Objects.requireNonNull(ticker);
      return this;
    }

    Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random);
      return this;
    }

    /**
     * Creates the upstream group (and, without a shared transport, its I/O thread). Opens no
     * sockets until the first query.
     *
     * @throws IllegalArgumentException if a server lies inside the forbidden range (its queries
     *     would be routed into Turnout's own TUN), or is given by name without a {@link #bootstrap}
     * @throws UnsatisfiedLinkError if Netty's native epoll transport cannot be loaded
     */
    public Upstream build() {
      for (Nameserver ns : servers) {
        if (ns.literal() != null && forbidden.contains(ns.literal())) {
          throw new IllegalArgumentException(
              "nameserver " + ns + " lies inside the fake-IP range: it would loop through the TUN");
        }
        if (ns.needsResolving() && bootstrap == null) {
          new ServerAddress(ns, null); // throws with the reason
        }
      }
      // A missing native transport fails here, not at the first query.
      io.netty.channel.epoll.Epoll.ensureAvailability();
      return new Upstream(this);
    }
  }
}
