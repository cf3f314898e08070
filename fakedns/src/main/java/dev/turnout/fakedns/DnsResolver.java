package dev.turnout.fakedns;

import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.TimeSource;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Decides which upstream group answers a query, as mihomo's resolver does:
 *
 * <ol>
 *   <li>{@code nameserver-policy}: a name one of its keys matches is asked of that key's servers
 *       only;
 *   <li>otherwise, for A and AAAA queries when {@code fallback} is set: a name the {@code
 *       fallback-filter} domains match is asked of the fallback servers only; any other is asked of
 *       the {@code nameserver} servers first, and their answer is used when it holds addresses and
 *       the filter distrusts none of them; else (an error, no address, a distrusted address) the
 *       fallback servers are asked and their answer, or failure, is the result;
 *   <li>everything else goes to the {@code nameserver} servers.
 * </ol>
 *
 * The fallback servers are asked only when needed, as mihomo does (not at once with the others), so
 * they do not see every name. Each group caches its own answers.
 *
 * <p>{@link #resolveIpv4} resolves names for Turnout's own dialing through the same decision, after
 * the {@code hosts} entries it was given; never to an address in the forbidden range. {@link
 * #resolve} is the same, or with {@link Builder#ipv6} A and AAAA ({@link DualStackResolver}).
 * Thread-safe.
 */
public final class DnsResolver implements HostResolver {
  private final Upstream main;
  private final NameserverPolicy policy;
  private final Upstream fallback; // null: none
  private final FallbackFilter filter;
  private final Hosts hosts;
  private final ForbiddenRange forbidden;
  private final AddressLookup addresses;
  private final DualStackResolver dualStack; // null: resolve() gives IPv4 only
  final LongAdder policyAnswers = new LongAdder();
  final LongAdder fallbackAnswers = new LongAdder();

  private DnsResolver(Builder b) {
    this.main = b.main;
    this.policy = b.policy;
    this.fallback = b.fallback;
    this.filter = b.filter;
    this.hosts = b.hosts;
    this.forbidden = b.forbidden;
    this.addresses = new AddressLookup(this::query, b.forbidden, b.ticker, b.cacheSize);
    Predicate<InetAddress> forbidden6 = b.forbidden6;
    this.dualStack =
        forbidden6 == null
            ? null
            : new DualStackResolver(
                this::query, b.hosts, a -> b.forbidden.contains(a) || forbidden6.test(a), b.ticker);
  }

  /**
   * Forgets the names this resolver looked up for dialing (the dashboards' "flush DNS cache"); the
   * groups' caches are their owners' to clear ({@link Upstream#clearCache}).
   */
  public void clearCache() {
    addresses.clear();
  }

  /** Starts a resolver whose {@code nameserver} group is {@code main}. */
  public static Builder builder(Upstream main) {
    return new Builder(main);
  }

  /**
   * Answers {@code query} through the group the rules above pick; the answer carries the query's
   * ID. Fails (an {@code IOException} as the cause) when that group could not answer.
   */
  public CompletableFuture<Message> query(Message query) {
    Record question = query.getQuestion();
    String name = question == null ? "" : Names.normalize(question.getName().toString());
    if (!name.isEmpty()) {
      Upstream chosen = policy.match(name);
      if (chosen != null) {
        policyAnswers.increment();
        return chosen.query(query);
      }
    }
    boolean addressQuery =
        question != null
            && question.getDClass() == DClass.IN
            && (question.getType() == Type.A || question.getType() == Type.AAAA);
    if (fallback == null || !addressQuery) {
      return main.query(query);
    }
    if (filter.fallbackOnly(name)) {
      return fromFallback(query);
    }
    return main.query(query)
        .handle(
            (answer, error) ->
                error == null && trusted(answer)
                    ? CompletableFuture.completedFuture(answer)
                    : fromFallback(query))
        .thenCompose(answer -> answer);
  }

  private CompletableFuture<Message> fromFallback(Message query) {
    fallbackAnswers.increment();
    return fallback.query(query);
  }

  /** Whether the answer holds addresses and the filter distrusts none of them. */
  private boolean trusted(Message answer) {
    List<InetAddress> found = new ArrayList<>();
    for (Record r : answer.getSection(Section.ANSWER)) {
      if (r instanceof ARecord a) {
        found.add(a.getAddress());
      } else if (r instanceof AAAARecord a) {
        found.add(a.getAddress());
      }
    }
    if (found.isEmpty()) {
      return false;
    }
    for (InetAddress a : found) {
      if (filter.distrusts(a)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The IPv4 addresses of {@code name} for Turnout's own dialing: its {@code hosts} entry if it has
   * one, else an A query decided as {@link #query} decides, cached by TTL. Never an address in the
   * forbidden range. Fails with an {@code UnknownHostException} when the name has no usable
   * address.
   */
  public CompletableFuture<List<Inet4Address>> resolveIpv4(String name) {
    List<InetAddress> entry = hosts.isEmpty() ? null : hosts.lookup(name);
    if (entry != null) {
      List<Inet4Address> v4 = new ArrayList<>();
      for (InetAddress a : entry) {
        if (a instanceof Inet4Address four && !forbidden.contains(four)) {
          v4.add(four);
        }
      }
      if (!v4.isEmpty()) {
        return CompletableFuture.completedFuture(List.copyOf(v4));
      }
    }
    return addresses.resolveIpv4(name);
  }

  /**
   * {@link #resolveIpv4}; with {@link Builder#ipv6}, IPv4 and IPv6 addresses, IPv4 first (see
   * {@link DualStackResolver}).
   */
  @Override
  public CompletableFuture<List<InetAddress>> resolve(String host) {
    if (dualStack != null) {
      return dualStack.resolve(host);
    }
    return resolveIpv4(host).thenApply(List::<InetAddress>copyOf);
  }

  @Override
  public String toString() {
    return "DnsResolver[main="
        + main
        + (policy.isEmpty() ? "" : ", nameserver-policy")
        + (fallback == null ? "" : ", fallback=" + fallback)
        + "]";
  }

  /** Configures a {@link DnsResolver}. Not thread-safe; build once. */
  public static final class Builder {
    private final Upstream main;
    private NameserverPolicy policy = NameserverPolicy.NONE;
    private Upstream fallback;
    private FallbackFilter filter = FallbackFilter.NONE;
    private Hosts hosts = Hosts.empty();
    private ForbiddenRange forbidden = ForbiddenRange.NONE;
    private Predicate<InetAddress> forbidden6; // null: IPv4 only
    private TimeSource ticker = TimeSource.SYSTEM;
    private long cacheSize = 10_000;

    private Builder(Upstream main) {
      this.main = Objects.requireNonNull(main);
    }

    /** {@code nameserver-policy}; default none. */
    public Builder policy(NameserverPolicy policy) {
      this.policy = Objects.requireNonNull(policy);
      return this;
    }

    /** {@code fallback} with its {@code fallback-filter}; default none. */
    public Builder fallback(Upstream fallback, FallbackFilter filter) {
      this.fallback = Objects.requireNonNull(fallback);
      this.filter = Objects.requireNonNull(filter);
      return this;
    }

    /** Entries {@link #resolveIpv4} answers without asking ({@code hosts:}); default none. */
    public Builder hosts(Hosts hosts) {
      this.hosts = Objects.requireNonNull(hosts);
      return this;
    }

    /** The fake-IP range, never returned by {@link #resolveIpv4}; default nothing forbidden. */
    public Builder forbiddenRange(int firstAddress, int lastAddress) {
      this.forbidden = new ForbiddenRange(firstAddress, lastAddress);
      return this;
    }

    /**
     * {@link #resolve} gives IPv6 addresses too (AAAA asked with A, IPv4 first), never one {@code
     * forbidden6} accepts (Turnout's IPv6 range); default IPv4 only.
     */
    public Builder ipv6(Predicate<InetAddress> forbidden6) {
      this.forbidden6 = Objects.requireNonNull(forbidden6);
      return this;
    }

    /** Names kept by {@link #resolveIpv4}; default 10,000. */
    public Builder cacheSize(long entries) {
      if (entries <= 0) {
        throw new IllegalArgumentException("cache size must be positive: " + entries);
      }
      this.cacheSize = entries;
      return this;
    }

    Builder timeSource(TimeSource ticker) {
      this.ticker = Objects.requireNonNull(ticker);
      return this;
    }

    public DnsResolver build() {
      return new DnsResolver(this);
    }
  }
}
