package dev.turnout.fakedns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.SimpleResolver;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;
import org.xbill.DNS.io.DefaultIoClientFactory;
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
 * The upstream query carries a fresh random ID; the answer gets the caller's ID back.
 *
 * <p>{@link #resolveIpv4} is for DIRECT dialing: cached by TTL, and it never returns an address in
 * the forbidden range (the fake-IP range), so Turnout never dials into its own TUN.
 *
 * <p>Thread-safe; futures may complete on dnsjava's I/O thread, so callers must not block in
 * dependent stages.
 */
public final class Upstream {
  private static final Logger log = LoggerFactory.getLogger(Upstream.class);
  private static final Executor DIRECT = Runnable::run;
  private static final long MAX_CACHE_TTL_SECONDS = 3600;

  private final List<Nameserver> servers;
  private final List<SimpleResolver> resolvers;
  private final Duration timeout;
  private final int forbiddenFirst;
  private final int forbiddenLast;
  private final RandomGenerator random;
  private final AsyncCache<String, Resolved> cache;

  /** A lookup outcome; failures are values so Caffeine neither logs them nor keeps them. */
  private record Resolved(List<Inet4Address> addresses, long ttlSeconds, Throwable error) {
    static Resolved failed(Throwable error) {
      return new Resolved(List.of(), 0, error);
    }
  }

  private Upstream(Builder b) {
    this.servers = b.servers;
    this.timeout = b.timeout;
    this.forbiddenFirst = b.forbiddenFirst;
    this.forbiddenLast = b.forbiddenLast;
    this.random = b.random;
    UdpIoClient udp = new DefaultIoClientFactory().createOrGetUdpClient();
    TcpIoClient tcp = new TcpClient();
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
    List<SimpleResolver> list = new ArrayList<>();
    for (Nameserver ns : servers) {
      SimpleResolver r = new SimpleResolver(ns.address()); // explicit address: no ResolverConfig
      r.setTCP(ns.tcp());
      r.setTimeout(timeout);
      r.setIoClientFactory(io);
      list.add(r);
    }
    this.resolvers = List.copyOf(list);
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(b.cacheSize)
            .ticker(b.ticker)
            .expireAfter(
                Expiry.<String, Resolved>creating(
                    (name, resolved) -> Duration.ofSeconds(resolved.ttlSeconds())))
            .buildAsync();
  }

  /**
   * Starts a builder for the given {@code nameserver} entries: {@code IP}, {@code IP:port}, {@code
   * [IPv6]:port}, {@code udp://IP[:port]} or {@code tcp://IP[:port]}.
   *
   * @throws IllegalArgumentException if the list is empty or an entry has another form
   */
  public static Builder builder(List<String> nameservers) {
    return new Builder(nameservers);
  }

  /**
   * Forwards {@code query} and completes with the upstream's answer, carrying the query's ID. Fails
   * with an {@link IOException} (wrapped as the future's cause) when every server failed.
   */
  public CompletableFuture<Message> query(Message query) {
    int clientId = query.getHeader().getID();
    Message out = query.clone();
    out.getHeader().setID(random.nextInt(0x10000));
    return attempt(out, 0, null, null)
        .thenApply(
            answer -> {
              answer.getHeader().setID(clientId);
              return answer;
            });
  }

  private CompletableFuture<Message> attempt(
      Message query, int index, Message lastAnswer, Throwable lastError) {
    if (index >= resolvers.size()) {
      if (lastAnswer != null) {
        return CompletableFuture.completedFuture(lastAnswer);
      }
      return CompletableFuture.failedFuture(
          new IOException("no upstream DNS server answered (" + servers + ")", lastError));
    }
    CompletableFuture<Message> sent;
    try {
      sent = resolvers.get(index).sendAsync(query, DIRECT).toCompletableFuture();
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
    var literal = Nameserver.parseLiteral(key);
    if (literal.isPresent() && literal.get() instanceof Inet4Address a) {
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
    return new Resolved(List.copyOf(addresses), Math.max(1, ttl), null);
  }

  private boolean forbidden(InetAddress address) {
    if (!(address instanceof Inet4Address v4)) {
      return false;
    }
    int a = FakeIpPool.toInt(v4);
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

  /** Configures an {@link Upstream}. Not thread-safe; build once. */
  public static final class Builder {
    private final List<Nameserver> servers;
    private Duration timeout = Duration.ofSeconds(2);
    // Empty range by default: first > last (unsigned) forbids nothing.
    private int forbiddenFirst = -1;
    private int forbiddenLast = 0;
    private OptionalInt soMark = OptionalInt.empty();
    private Ticker ticker = Ticker.systemTicker();
    private RandomGenerator random = new SecureRandom();
    private long cacheSize = 10_000;

    private Builder(List<String> nameservers) {
      if (nameservers.isEmpty()) {
        throw new IllegalArgumentException(
            "at least one nameserver is required; " + Nameserver.ACCEPTED);
      }
      this.servers = nameservers.stream().map(Nameserver::parse).toList();
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
     * Requests that upstream sockets carry {@code SO_MARK} (capture-all mode, DESIGN §4). <b>Not
     * implemented yet</b>: {@link #build()} then fails with {@link UnsupportedOperationException}
     * rather than silently sending unmarked queries that would loop through the TUN. The plan is a
     * dnsjava {@code IoClientFactory} over marked Netty epoll sockets.
     */
    public Builder soMark(int mark) {
      this.soMark = OptionalInt.of(mark);
      return this;
    }

    Builder ticker(Ticker ticker) {
      this.ticker = Objects.requireNonNull(ticker);
      return this;
    }

    Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random);
      return this;
    }

    /** Creates the upstream client. Opens no sockets until the first query. */
    public Upstream build() {
      if (soMark.isPresent()) {
        throw new UnsupportedOperationException(
            "SO_MARK on upstream DNS sockets is not implemented yet (capture-all mode needs it)");
      }
      return new Upstream(this);
    }
  }
}
