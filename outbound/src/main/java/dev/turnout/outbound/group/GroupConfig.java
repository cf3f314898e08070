package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Reads the type and the type's keys of Clash {@code proxy-groups:} entries and builds the groups
 * over members the caller has already resolved (it also orders the groups and finds cycles). One
 * instance per configuration load; collects the groups that want health checks. Not thread-safe.
 */
public final class GroupConfig {
  static final List<String> TYPES = List.of("select", "url-test", "fallback", "load-balance");
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(300);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  private static final Set<String> KEYS =
      Set.of(
          "name",
          "type",
          "proxies",
          "url",
          "interval",
          "tolerance",
          "lazy",
          "timeout",
          "strategy",
          "disable-udp");

  private final SelectionStore store;
  private final Prober prober;
  private final TimeSource clock;
  private final List<CheckedGroup> checked = new ArrayList<>();

  public GroupConfig(SelectionStore store, Prober prober, TimeSource clock) {
    this.store = store;
    this.prober = prober;
    this.clock = clock;
  }

  /**
   * Reads {@code f}'s type and keys, recording every problem there, and builds the group over
   * {@code members}. Returns null when nothing can be built (no members, or no known type); the
   * caller also drops the group when {@code f} recorded an error.
   */
  public Group read(Fields f, List<Outbound> members) {
    String type = f.oneOf("type", TYPES, null);
    if (type == null) {
      return null;
    }
    f.unknownKeys(KEYS);
    if ("select".equals(type)) {
      return members.isEmpty() ? null : new SelectGroup(f.name(), members, store);
    }
    boolean needsUrl = !"load-balance".equals(type);
    String url = f.string("url", needsUrl);
    URI uri = null;
    if (url != null) {
      try {
        uri = URI.create(url);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
            || uri.getHost() == null) {
          f.error("url", "expected an http:// or https:// URL, got \"" + url + "\"");
        }
      } catch (IllegalArgumentException e) {
        f.error("url", "expected an http:// or https:// URL, got \"" + url + "\"");
      }
    }
    int interval = f.integer("interval", (int) DEFAULT_INTERVAL.toSeconds(), 1, 86_400);
    int timeout = f.integer("timeout", (int) DEFAULT_TIMEOUT.toMillis(), 1, 60_000);
    boolean lazy = f.bool("lazy", true);
    CheckedGroup.Check check =
        new CheckedGroup.Check(
            uri,
            Duration.ofSeconds(interval),
            Duration.ofMillis(Math.min(timeout, interval * 1000L)),
            lazy);
    if (members.isEmpty()) {
      return null;
    }
    CheckedGroup g = checkedGroup(f, type, members, check);
    g.remember(store);
    if (!"load-balance".equals(type) || url != null) {
      checked.add(g);
    }
    return g;
  }

  private CheckedGroup checkedGroup(
      Fields f, String type, List<Outbound> members, CheckedGroup.Check check) {
    switch (type) {
      case "url-test" -> {
        int tolerance = f.integer("tolerance", 150, 0, 60_000);
        return new UrlTestGroup(
            f.name(), members, check, Duration.ofMillis(tolerance), prober, clock);
      }
      case "fallback" -> {
        return new FallbackGroup(f.name(), members, check, prober, clock);
      }
      case "load-balance" -> {
        String strategy =
            f.oneOf("strategy", List.of("consistent-hashing", "round-robin"), "consistent-hashing");
        return new LoadBalanceGroup(
            f.name(),
            members,
            check,
            "round-robin".equals(strategy)
                ? LoadBalanceGroup.Strategy.ROUND_ROBIN
                : LoadBalanceGroup.Strategy.CONSISTENT_HASHING,
            prober,
            clock);
      }
      default -> throw new IllegalStateException(type);
    }
  }

  /** The select group {@code name} (GLOBAL) over {@code members}, remembered like the others. */
  public SelectGroup select(String name, List<Outbound> members) {
    return new SelectGroup(name, members, store);
  }

  /** The health checks of the groups read so far, run by {@code scheduler} once started. */
  public HealthChecks healthChecks(Scheduler scheduler) {
    return new HealthChecks(checked, scheduler);
  }
}
