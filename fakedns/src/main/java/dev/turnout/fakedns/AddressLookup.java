package dev.turnout.fakedns;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.TimeSource;
import java.net.Inet4Address;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Names to IPv4 addresses for Turnout's own dialing, on top of a query function (an upstream group
 * or the whole {@link DnsResolver}): an A query, answers cached for their TTL (at least 1 s, at
 * most an hour), and never an address in the forbidden range (the fake-IP range), so Turnout never
 * dials into its own TUN. Thread-safe.
 */
final class AddressLookup {
  private static final Logger log = LoggerFactory.getLogger(AddressLookup.class);
  static final long MAX_TTL_SECONDS = 3600;

  private final Function<Message, CompletableFuture<Message>> query;
  private final ForbiddenRange forbidden;
  private final TimeSource ticker;
  private final AsyncCache<String, Resolved> cache;

  /**
   * A lookup's result, failures included (as values, so Caffeine neither logs nor keeps them).
   * {@code receivedNanos} is the ticker when the answer arrived: expiry counts from then, not from
   * whenever the cache gets to record the completed future.
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

  AddressLookup(
      Function<Message, CompletableFuture<Message>> query,
      ForbiddenRange forbidden,
      TimeSource ticker,
      long cacheSize) {
    this.query = query;
    this.forbidden = forbidden;
    this.ticker = ticker;
    this.cache =
        Caffeine.newBuilder()
            .maximumSize(cacheSize)
            .executor(Runnable::run) // upkeep on the caller: no pool thread woken per dial
            .ticker(ticker::nanoTime)
            .expireAfter(new FromArrival())
            .buildAsync();
  }

  /**
   * The IPv4 addresses of {@code name}; an IPv4 literal as is. Fails with {@link
   * UnknownHostException} on NXDOMAIN, an error rcode, no usable A record, a forbidden literal or a
   * malformed name; with an {@code IOException} when no upstream answered.
   */
  CompletableFuture<List<Inet4Address>> resolveIpv4(String name) {
    String key = Names.normalize(name);
    if (IpLiterals.parseOrNull(key) instanceof Inet4Address a) {
      return forbidden.contains(a)
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
    CompletableFuture<Message> sent;
    try {
      sent = query.apply(q);
    } catch (RuntimeException e) {
      sent = CompletableFuture.failedFuture(e);
    }
    return sent.handle(
        (answer, error) ->
            error != null ? Resolved.failed(Upstream.unwrap(error)) : toResolved(qname, answer));
  }

  private Resolved toResolved(Name qname, Message answer) {
    String name = qname.toString(true);
    int rcode = answer.getRcode();
    if (rcode != Rcode.NOERROR) {
      return Resolved.failed(
          new UnknownHostException(name + ": upstream answered " + Rcode.string(rcode)));
    }
    List<Inet4Address> addresses = new ArrayList<>();
    long ttl = MAX_TTL_SECONDS;
    int dropped = 0;
    for (Record r : answer.getSection(Section.ANSWER)) {
      if (r instanceof ARecord a && a.getAddress() instanceof Inet4Address v4) {
        if (forbidden.contains(v4)) {
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

  /** Forgets every name looked up so far; lookups in flight still complete. */
  void clear() {
    cache.synchronous().invalidateAll();
  }
}
