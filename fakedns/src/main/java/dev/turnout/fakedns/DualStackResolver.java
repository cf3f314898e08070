package dev.turnout.fakedns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.TimeSource;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.SOARecord;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Turnout's resolver with IPv6 on ({@code ipv6: true}): A and AAAA at once through the same query
 * function (the {@link DnsResolver} that owns it, so nameserver-policy and fallback decide both),
 * IPv4 addresses first, then IPv6 ones; a {@code hosts} entry, both families, before asking. The
 * dialer races them in that order, a new family every 250 ms (Happy Eyeballs with IPv4 preferred,
 * as mihomo's DIRECT dials), so a host whose IPv6 is broken loses nothing and a name with only AAAA
 * records is reached over IPv6.
 *
 * <p>Once the A answer has addresses, the AAAA answer is awaited for at most {@value
 * #RESOLUTION_DELAY_MILLIS} ms more (RFC 8305's resolution delay), so a slow or silent AAAA never
 * holds up a dial that IPv4 can serve. Each family's result is cached: addresses for their TTL (1 s
 * to an hour), "none" for the SOA's negative TTL, or {@value #NEGATIVE_TTL_SECONDS} s when the
 * answer has no SOA (local resolvers often give none), a failure for {@value #FAILURE_TTL_SECONDS}
 * s: otherwise every dial of a name without AAAA (or A) records would cost a query. An address
 * {@code forbidden} accepts (Turnout's own ranges) is dropped, so Turnout never dials into its TUN.
 *
 * <p>Thread-safe; stages complete on the DNS I/O thread, a timer thread or the caller's.
 */
final class DualStackResolver implements HostResolver {
  private static final Logger log = LoggerFactory.getLogger(DualStackResolver.class);
  static final long RESOLUTION_DELAY_MILLIS = 50;
  static final long NEGATIVE_TTL_SECONDS = 60;
  static final long FAILURE_TTL_SECONDS = 5;
  private static final long MAX_TTL_SECONDS = 3600;
  private static final int CACHE_SIZE = 10_000;

  private final Function<Message, CompletableFuture<Message>> query;
  private final Hosts hosts;
  private final Predicate<InetAddress> forbidden;
  private final AsyncCache<Key, Answer> cache;

  private record Key(String name, int type) {}

  /** A name's addresses of one family, how long that holds, and why there are none. */
  private record Answer(List<InetAddress> addresses, long ttlSeconds, String problem) {}

  /**
   * @param query answers an A or AAAA query (the owning resolver's decision, or one group)
   * @param hosts entries answered without asking
   * @param forbidden addresses never returned (Turnout's own ranges, both families)
   */
  DualStackResolver(
      Function<Message, CompletableFuture<Message>> query,
      Hosts hosts,
      Predicate<InetAddress> forbidden,
      TimeSource ticker) {
    this.query = Objects.requireNonNull(query, "query");
    this.hosts = Objects.requireNonNull(hosts, "hosts");
    this.forbidden = Objects.requireNonNull(forbidden, "forbidden");
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(CACHE_SIZE)
            .executor(Runnable::run) // upkeep on the caller: no pool thread woken per dial
            .ticker(ticker::nanoTime)
            .expireAfter(
                Expiry.<Key, Answer>creating(
                    (key, answer) -> Duration.ofSeconds(answer.ttlSeconds())))
            .buildAsync();
  }

  @Override
  public CompletableFuture<List<InetAddress>> resolve(String host) {
    String name = Names.normalize(host);
    InetAddress literal = IpLiterals.parseOrNull(name);
    if (literal != null) {
      return forbidden.test(literal)
          ? CompletableFuture.failedFuture(
              new UnknownHostException(
                  host + " is inside Turnout's own range; refusing to dial it"))
          : CompletableFuture.completedFuture(List.of(literal));
    }
    List<InetAddress> entry = hosts.isEmpty() ? null : hosts.lookup(name);
    if (entry != null) {
      List<InetAddress> v4 = new ArrayList<>();
      List<InetAddress> v6 = new ArrayList<>();
      for (InetAddress a : entry) {
        if (!forbidden.test(a)) {
          (Hosts.isV4(a) ? v4 : v6).add(a);
        }
      }
      if (!v4.isEmpty() || !v6.isEmpty()) {
        return CompletableFuture.completedFuture(join(v4, v6));
      }
    }
    CompletableFuture<Answer> aaaa = lookup(name, Type.AAAA);
    return lookup(name, Type.A)
        .thenCompose(
            a -> {
              if (!a.addresses().isEmpty()) {
                CompletableFuture<Answer> waited =
                    aaaa.isDone()
                        ? aaaa
                        : aaaa.copy()
                            .completeOnTimeout(
                                new Answer(List.of(), 0, "no answer yet"),
                                RESOLUTION_DELAY_MILLIS,
                                TimeUnit.MILLISECONDS);
                return waited.thenApply(v6 -> join(a.addresses(), v6.addresses()));
              }
              return aaaa.thenCompose(
                  v6 ->
                      v6.addresses().isEmpty()
                          ? CompletableFuture.failedFuture(
                              new UnknownHostException(host + ": " + a.problem()))
                          : CompletableFuture.completedFuture(v6.addresses()));
            });
  }

  /** The addresses of one family ({@code Type.A} or {@code AAAA}) of a normalized name, cached. */
  private CompletableFuture<Answer> lookup(String name, int type) {
    return cache.get(new Key(name, type), (key, executor) -> ask(key));
  }

  private CompletableFuture<Answer> ask(Key key) {
    Message question;
    try {
      question =
          Message.newQuery(
              Record.newRecord(Name.fromString(key.name(), Name.root), key.type(), DClass.IN));
    } catch (TextParseException e) {
      return CompletableFuture.completedFuture(
          new Answer(List.of(), MAX_TTL_SECONDS, "invalid name"));
    }
    CompletableFuture<Message> sent;
    try {
      sent = query.apply(question);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle(
        (answer, error) ->
            error != null
                ? new Answer(List.of(), FAILURE_TTL_SECONDS, "no upstream answered")
                : toAnswer(key, answer));
  }

  private Answer toAnswer(Key key, Message answer) {
    int rcode = answer.getRcode();
    if (rcode != Rcode.NOERROR && rcode != Rcode.NXDOMAIN) {
      return new Answer(List.of(), FAILURE_TTL_SECONDS, "upstream answered " + Rcode.string(rcode));
    }
    List<InetAddress> addresses = new ArrayList<>();
    long ttl = MAX_TTL_SECONDS;
    int dropped = 0;
    for (Record r : answer.getSection(Section.ANSWER)) {
      InetAddress address =
          r instanceof ARecord a && key.type() == Type.A
              ? a.getAddress()
              : r instanceof AAAARecord aaaa && key.type() == Type.AAAA ? aaaa.getAddress() : null;
      if (address == null) {
        continue;
      }
      if (forbidden.test(address)) {
        dropped++;
      } else {
        addresses.add(address);
        ttl = Math.min(ttl, r.getTTL());
      }
    }
    if (dropped > 0) {
      log.warn("dropped {} address(es) of {} inside Turnout's own range", dropped, key.name());
    }
    if (!addresses.isEmpty()) {
      return new Answer(List.copyOf(addresses), Math.max(1, ttl), null);
    }
    ttl = NEGATIVE_TTL_SECONDS;
    for (Record r : answer.getSection(Section.AUTHORITY)) {
      if (r instanceof SOARecord soa) {
        ttl = Math.max(1, Math.min(Math.min(soa.getTTL(), soa.getMinimum()), MAX_TTL_SECONDS));
      }
    }
    String problem =
        rcode == Rcode.NXDOMAIN
            ? "upstream answered NXDOMAIN"
            : dropped > 0 ? "only addresses inside Turnout's own range" : "no A or AAAA record";
    return new Answer(List.of(), ttl, problem);
  }

  private static List<InetAddress> join(List<InetAddress> v4, List<InetAddress> v6) {
    List<InetAddress> all = new ArrayList<>(v4.size() + v6.size());
    all.addAll(v4);
    all.addAll(v6);
    return List.copyOf(all);
  }
}
