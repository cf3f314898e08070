package dev.turnout.fakedns;

import dev.turnout.netbase.HostResolver;
import dev.turnout.netbase.IpLiterals;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TextParseException;
import org.xbill.DNS.Type;

/**
 * Turnout's resolver with IPv6 on ({@code ipv6: true}): A and AAAA at once through the same {@link
 * Upstream}, IPv4 addresses first, then IPv6 ones. The dialer races them in that order, a new
 * family every 250 ms (Happy Eyeballs with IPv4 preferred, as mihomo's DIRECT dials), so a host
 * whose IPv6 is broken loses nothing and a name with only AAAA records is reached over IPv6.
 *
 * <p>Once the A answer has addresses, the AAAA answer is awaited for at most {@value
 * #RESOLUTION_DELAY_MILLIS} ms more (RFC 8305's resolution delay), so a slow or silent AAAA never
 * holds up a dial that IPv4 can serve. A failed AAAA lookup is the same as no AAAA record. AAAA
 * answers come from {@link Upstream#query}, cached for their TTL there; an address {@code
 * forbidden} accepts (Turnout's own IPv6 range) is dropped, as the upstream drops IPv4 ones in its
 * own range.
 *
 * <p>Thread-safe; stages complete on the DNS I/O thread or a timer thread.
 */
public final class DualStackResolver implements HostResolver {
  private static final Logger log = LoggerFactory.getLogger(DualStackResolver.class);
  static final long RESOLUTION_DELAY_MILLIS = 50;

  private final Upstream upstream;
  private final Predicate<InetAddress> forbidden;

  /**
   * @param forbidden addresses never returned (Turnout's own IPv6 range)
   */
  public DualStackResolver(Upstream upstream, Predicate<InetAddress> forbidden) {
    this.upstream = Objects.requireNonNull(upstream, "upstream");
    this.forbidden = Objects.requireNonNull(forbidden, "forbidden");
  }

  @Override
  public CompletableFuture<List<InetAddress>> resolve(String host) {
    String name = Names.normalize(host);
    InetAddress literal = IpLiterals.parseOrNull(name);
    if (literal instanceof Inet4Address) {
      return upstream.resolve(name);
    }
    if (literal != null) {
      return forbidden.test(literal)
          ? CompletableFuture.failedFuture(
              new UnknownHostException(
                  host + " is inside Turnout's own range; refusing to dial it"))
          : CompletableFuture.completedFuture(List.of(literal));
    }
    CompletableFuture<List<Inet6Address>> aaaa = resolveIpv6(name);
    return upstream
        .resolveIpv4(name)
        .handle(
            (v4, error) -> {
              if (error == null && !v4.isEmpty()) {
                return aaaa.copy()
                    .completeOnTimeout(List.of(), RESOLUTION_DELAY_MILLIS, TimeUnit.MILLISECONDS)
                    .thenApply(v6 -> join(v4, v6));
              }
              return aaaa.thenCompose(
                  v6 ->
                      v6.isEmpty()
                          ? CompletableFuture.<List<InetAddress>>failedFuture(
                              error != null ? unwrap(error) : noAddress(host))
                          : CompletableFuture.completedFuture(List.<InetAddress>copyOf(v6)));
            })
        .thenCompose(f -> f);
  }

  /**
   * The IPv6 addresses of {@code name} (normalized), without forbidden ones; an empty list when it
   * has none or the lookup failed.
   */
  CompletableFuture<List<Inet6Address>> resolveIpv6(String name) {
    Message query;
    try {
      query =
          Message.newQuery(
              Record.newRecord(Name.fromString(name, Name.root), Type.AAAA, DClass.IN));
    } catch (TextParseException e) {
      return CompletableFuture.completedFuture(List.of());
    }
    return upstream
        .query(query)
        .handle(
            (answer, error) -> {
              if (error != null || answer.getRcode() != Rcode.NOERROR) {
                return List.<Inet6Address>of();
              }
              List<Inet6Address> addresses = new ArrayList<>();
              for (Record r : answer.getSection(Section.ANSWER)) {
                if (r instanceof AAAARecord aaaa && aaaa.getAddress() instanceof Inet6Address v6) {
                  if (forbidden.test(v6)) {
                    log.warn("dropped {} of {}: inside Turnout's own range", v6, name);
                  } else {
                    addresses.add(v6);
                  }
                }
              }
              return List.copyOf(addresses);
            });
  }

  private static List<InetAddress> join(List<? extends InetAddress> v4, List<Inet6Address> v6) {
    List<InetAddress> all = new ArrayList<>(v4.size() + v6.size());
    all.addAll(v4);
    all.addAll(v6);
    return List.copyOf(all);
  }

  private static UnknownHostException noAddress(String host) {
    return new UnknownHostException(host + ": no A or AAAA record in the answer");
  }

  private static Throwable unwrap(Throwable t) {
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
