package dev.turnout.fakedns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.TimeSource;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import java.util.function.IntConsumer;
import java.util.random.RandomGenerator;
import javax.net.ssl.SSLContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.io.IoClientFactory;
import org.xbill.DNS.io.TcpIoClient;
import org.xbill.DNS.io.UdpIoClient;

/**
 * Client for the configured upstream {@code nameserver}s. Only literal addresses are accepted and
 * dnsjava's system {@code ResolverConfig} is never consulted, so Turnout cannot resolve through the
 * system resolver (which may point back at Turnout).
 *
 * <p>{@link #query} tries each server in order with a per-server timeout; an error, a timeout, or a
 * SERVFAIL/REFUSED answer moves on to the next server. A truncated UDP answer is retried over TCP.
 * Servers may be plain UDP/TCP, DNS over TLS or DNS over HTTPS; a server inside the forbidden range
 * (Turnout's own TUN range) is rejected at {@link Builder#build}, so upstream queries never enter
 * the TUN in fake-IP mode. In capture-all mode every UDP, TCP and TLS socket carries {@link
 * Builder#soMark} (checked, fail closed), so queries take the main table instead of the TUN.
 * Answers are cached by TTL (see {@link #query}). The upstream query carries a fresh random ID; the
 * answer gets the caller's ID back.
 *
 * <p>{@link #resolveIpv4} is for DIRECT dialing: cached by TTL, and it never returns an address in
 * the forbidden range (the fake-IP range), so Turnout never dials into its own TUN.
 *
 * <p>Thread-safe; futures may complete on the DNS I/O thread (one daemon Netty epoll thread,
 * started by {@link Builder#build}, stopped by {@link #close}), so callers must not block in
 * dependent stages.
 *
 * <p>Longer than our usual file: it is the one place that owns upstream order, fallback, the
 * truncation retry and both caches; the transports themselves live in UdpClient, TcpClient,
 * DotClient and DohClient.
 */
public final class Upstream implements java.io.Closeable, dev.turnout.netbase.HostResolver {
  private static final Logger log = LoggerFactory.getLogger(Upstream.class);
  private static final Executor DIRECT = Runnable::run;
  private static final long MAX_CACHE_TTL_SECONDS = 3600;

  private final List<Nameserver> servers;
  private final List<Function<Message, CompletableFuture<Message>>> exchanges;
  private final List<DotClient> dotClients = new ArrayList<>();
  private final MarkedChannels channels;
  private final Duration timeout;
  private final int forbiddenFirst;
  private final int forbiddenLast;
  private final RandomGenerator random;
  private final TimeSource ticker;
  private final AsyncCache<String, Resolved> cache;
  private final Cache<AnswerKey, CachedAnswer> answers; // null: no answer cache
  private final LongAdder cacheHits = new LongAdder();

  /** A lookup outcome; failures are values so Caffeine neither logs them nor keeps them. */
  /**
   * A lookup's result. {@code receivedNanos} is the ticker when the answer arrived: expiry counts
   * from then, not from whenever the cache gets to record the completed future.
   */
  private record Resolved(
      List<Inet4Address> addresses, long ttlSeconds, long receivedNanos, Throwable error) {
    static Resolved failed(Throwable error) {
      return new Resolved(List.of(), 0, 0, error);
    }
  }

  /** Expires a lookup TTL seconds after its answer arrived. */
  private static final class FromArrival implements Expiry<String, Resolved> {
    @Override
    public long expireAfterCreate(String name, Resolved resolved, long now) {
      return Math.max(0, resolved.receivedNanos() + resolved.ttlSeconds() * 1_000_000_000L - now);
    }

    @Override
    public long expireAfterUpdate(String name, Resolved resolved, long now, long remaining) {
      return expireAfterCreate(name, resolved, now);
    }

    @Override
    public long expireAfterRead(String name, Resolved resolved, long now, long remaining) {
      return remaining;
    }
  }

  /** What makes two questions share an answer: name, type, class and the DO and CD bits. */
  private record AnswerKey(String name, int type, int dclass, boolean dnssecOk, boolean cd) {}

  /** An upstream answer as received, when, and for how long it may be served. */
  private record CachedAnswer(Message message, long storedNanos, long ttlSeconds) {}

  private Upstream(Builder b) {
    this.servers = b.servers;
    this.timeout = b.timeout;
    this.forbiddenFirst = b.forbiddenFirst;
    this.forbiddenLast = b.forbiddenLast;
    this.random = b.random;
    this.ticker = b.ticker;
    this.channels = new MarkedChannels(b.soMark, b.markRead);
    UdpIoClient udp = new UdpClient(channels);
    TcpIoClient tcp = new TcpClient(channels);
    IoClientFactory io =
        new IoClientFactory() {
          @Override
          public TcpIoClient createOrGetTcpClient() {
            return tcp;
          }

          @Override
          public UdpIoClient createOrGetUdpClient() {
            return udp;
          }
        };
    List<Function<Message, CompletableFuture<Message>>> list = new ArrayList<>();
    for (Nameserver ns : servers) {
      switch (ns.protocol()) {
        case UDP, TCP -> {
          SimpleResolver r =
              new SimpleResolver(ns.address()); // explicit address: no ResolverConfig
          r.setTCP(ns.tcp());
          r.setTimeout(timeout);
          r.setIoClientFactory(io);
          list.add(q -> r.sendAsync(q, DIRECT).toCompletableFuture());
        }
        case TLS -> {
          DotClient dot = new DotClient(channels, ns.address(), b.sslContext(), timeout);
          dotClients.add(dot);
          list.add(q -> overBytes(q, dot::exchange));
        }
        case HTTPS -> {
          DohClient doh = new DohClient(ns.address(), ns.path(), b.sslContext(), timeout);
          list.add(q -> overBytes(q, doh::exchange));
        }
      }
    }
    this.exchanges = List.copyOf(list);
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(b.cacheSize)
            .ticker(b.ticker::nanoTime)
            .expireAfter(new FromArrival())
            .buildAsync();
    this.answers =
        b.cacheSize == 0
            ? null
            : Caffeine.newBuilder()
                .maximumSize(b.cacheSize)
                .ticker(b.ticker::nanoTime)
                .expireAfter(
                    Expiry.<AnswerKey, CachedAnswer>creating(
                        (key, cached) -> Duration.ofSeconds(cached.ttlSeconds())))
                .build();
  }

  /** Sends {@code query} as bytes (DoT, DoH) and checks that the answer belongs to it. */
  private static CompletableFuture<Message> overBytes(
      Message query, Function<byte[], CompletableFuture<byte[]>> exchange) {
    return exchange
        .apply(query.toWire(Message.MAXLENGTH))
        .thenApply(
            bytes -> {
              Message answer;
              try {
                answer = new Message(bytes);
              } catch (IOException e) {
                throw new CompletionException(new IOException("malformed upstream answer", e));
              }
              if (answer.getHeader().getID() != query.getHeader().getID()
                  || !Objects.equals(answer.getQuestion(), query.getQuestion())) {
                throw new CompletionException(
                    new IOException("upstream answer does not match the query"));
              }
              return answer;
            });
  }

  /**
   * Starts a builder for the given {@code nameserver} entries: {@code IP}, {@code IP:port}, {@code
   * [IPv6]:port}, {@code udp://IP[:port]}, {@code tcp://IP[:port]}, {@code tls://IP[:port]} (DNS
   * over TLS) or {@code https://IP[:port][/path]} (DNS over HTTPS).
   *
   * @throws IllegalArgumentException if the list is empty or an entry has another form
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
    cache.synchronous().invalidateAll();
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
    long ttl = MAX_CACHE_TTL_SECONDS;
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
    if (index >= exchanges.size()) {
      if (lastAnswer != null) {
        return CompletableFuture.completedFuture(lastAnswer);
      }
      return CompletableFuture.failedFuture(
          new IOException("no upstream DNS server answered (" + servers + ")", lastError));
    }
    CompletableFuture<Message> sent;
    try {
      sent = exchanges.get(index).apply(query);
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
    String key = Names.normalize(name);
    if (IpLiterals.parseOrNull(key) instanceof Inet4Address a) {
      return forbidden(a)
          ? CompletableFuture.failedFuture(
              new UnknownHostException(name + " is inside the fake-IP range; refusing to dial it"))
          : CompletableFuture.completedFuture(List.of(a));
    }
    Name qname;
    try {
      qname = Name.fromString(key, Name.root);
    } catch (TextParseException e) {
      return CompletableFuture.failedFuture(new UnknownHostException("invalid name: " + name));
    }
    return cache
        .get(key, (k, executor) -> lookup(qname))
        .thenCompose(
            r ->
                r.error() == null
                    ? CompletableFuture.completedFuture(r.addresses())
                    : CompletableFuture.failedFuture(r.error()));
  }

  private CompletableFuture<Resolved> lookup(Name qname) {
    Message q = Message.newQuery(Record.newRecord(qname, Type.A, DClass.IN));
    return query(q)
        .handle(
            (answer, error) ->
                error != null ? Resolved.failed(unwrap(error)) : toResolved(qname, answer));
  }

  private Resolved toResolved(Name qname, Message answer) {
    String name = qname.toString(true);
    int rcode = answer.getRcode();
    if (rcode != Rcode.NOERROR) {
      return Resolved.failed(
          new UnknownHostException(name + ": upstream answered " + Rcode.string(rcode)));
    }
    List<Inet4Address> addresses = new ArrayList<>();
    long ttl = MAX_CACHE_TTL_SECONDS;
    int dropped = 0;
    for (Record r : answer.getSection(Section.ANSWER)) {
      if (r instanceof ARecord a && a.getAddress() instanceof Inet4Address v4) {
        if (forbidden(v4)) {
          dropped++;
          continue;
        }
        addresses.add(v4);
        ttl = Math.min(ttl, r.getTTL());
      }
    }
    if (dropped > 0) {
      log.warn("dropped {} address(es) of {} inside the fake-IP range", dropped, name);
    }
    if (addresses.isEmpty()) {
      return Resolved.failed(
          new UnknownHostException(
              name
                  + (dropped > 0
                      ? ": only addresses inside the fake-IP range"
                      : ": no A record in the answer")));
    }
    return new Resolved(List.copyOf(addresses), Math.max(1, ttl), ticker.nanoTime(), null);
  }

  private boolean forbidden(InetAddress address) {
    if (!(address instanceof Inet4Address v4)) {
      return false;
    }
    int a = Ipv4.toInt(v4);
    return Integer.compareUnsigned(a, forbiddenFirst) >= 0
        && Integer.compareUnsigned(a, forbiddenLast) <= 0;
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  @Override
  public String toString() {
    return "Upstream" + servers;
  }

  /** Closes kept-alive DNS-over-TLS connections. Queries still work afterwards (reconnecting). */
  public void closeIdleConnections() {
    dotClients.forEach(DotClient::close);
  }

  /**
   * Closes every connection and stops the I/O thread. Queries made afterwards fail with an {@link
   * IOException}. Idempotent.
   */
  @Override
  public void close() {
    closeIdleConnections();
    channels.close();
  }

  /** Configures an {@link Upstream}. Not thread-safe; build once. */
  public static final class Builder {
    private final List<Nameserver> servers;
    private Duration timeout = Duration.ofSeconds(2);
    // Empty range by default: first > last (unsigned) forbids nothing.
    private int forbiddenFirst = -1;
    private int forbiddenLast = 0;
    private int soMark;
    private IntConsumer markRead = mark -> {};
    private TimeSource ticker = TimeSource.SYSTEM;
    private RandomGenerator random = new SecureRandom();
    private long cacheSize = 10_000;
    private SSLContext sslContext;

    private Builder(List<String> nameservers) {
      if (nameservers.isEmpty()) {
        throw new IllegalArgumentException(
            "at least one nameserver is required; " + Nameserver.ACCEPTED);
      }
      this.servers = nameservers.stream().map(Nameserver::parse).toList();
    }

    /**
     * TLS settings for {@code tls://} and {@code https://} servers; default: the JVM's default
     * context (the JDK trust store, or {@code javax.net.ssl.trustStore}).
     */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context);
      return this;
    }

    private SSLContext sslContext() {
      if (sslContext == null) {
        try {
          sslContext = SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException("no default TLS context", e);
        }
      }
      return sslContext;
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
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be positive: " + timeout);
      }
      this.timeout = timeout;
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
      this.forbiddenFirst = firstAddress;
      this.forbiddenLast = lastAddress;
      return this;
    }

    /**
     * {@code SO_MARK} for every upstream socket (UDP, TCP, DNS over TLS), for capture-all mode
     * (DESIGN §4): the {@code routing-mark} that an {@code ip rule} sends to the main table, so
     * upstream queries never re-enter the TUN. Setting it needs {@code CAP_NET_ADMIN}. Fails
     * closed: the mark is read back from each socket before anything is sent, and a query whose
     * socket did not take it fails (moving on to the next server) instead of going out unmarked.
     * Default 0: no mark.
     *
     * <p>DNS over HTTPS cannot be marked ({@code java.net.http} gives no access to its sockets), so
     * {@link #build()} rejects an {@code https://} server together with a mark.
     */
    public Builder soMark(int mark) {
      this.soMark = mark;
      return this;
    }

    /** Test hook: told the {@code SO_MARK} read back from every marked socket. */
    Builder markRead(IntConsumer observer) {
      this.markRead = Objects.requireNonNull(observer);
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
     * Creates the upstream client and starts its I/O thread. Opens no sockets until the first
     * query.
     *
     * @throws IllegalArgumentException if a server lies inside the forbidden range (its queries
     *     would be routed into Turnout's own TUN), or is a DNS-over-HTTPS server while a {@link
     *     #soMark} is set
     * @throws UnsatisfiedLinkError if Netty's native epoll transport cannot be loaded
     */
    public Upstream build() {
      for (Nameserver ns : servers) {
        if (ns.address().getAddress() instanceof Inet4Address v4) {
          int a = Ipv4.toInt(v4);
          if (Integer.compareUnsigned(a, forbiddenFirst) >= 0
              && Integer.compareUnsigned(a, forbiddenLast) <= 0) {
            throw new IllegalArgumentException(
                "nameserver "
                    + ns
                    + " lies inside the fake-IP range: it would loop through the TUN");
          }
        }
      }
      // A missing native transport fails here, not at the first query.
      io.netty.channel.epoll.Epoll.ensureAvailability();
      if (soMark != 0) {
        for (Nameserver ns : servers) {
          if (ns.protocol() == Nameserver.Protocol.HTTPS) {
            throw new IllegalArgumentException(
                "nameserver "
                    + ns
                    + ": DNS over HTTPS cannot carry routing-mark (SO_MARK) and would loop"
                    + " through the TUN with auto-route; use tls://"
                    + ns.address().getAddress().getHostAddress()
                    + " (DNS over TLS) or plain DNS instead");
          }
        }
      }
      return new Upstream(this);
    }
  }
}
