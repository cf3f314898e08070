package dev.turnout.outbound.group;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Fields;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyOutbound;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads the type and the type's keys of Clash {@code proxy-groups:} entries and builds the groups
 * over members the caller has already resolved (it also orders the groups and finds cycles). One
 * instance per configuration load; collects the groups that want health checks. Not thread-safe.
 */
public final class GroupConfig {
  static final List<String> TYPES =
      List.of("select", "url-test", "fallback", "load-balance", "relay");
  static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(300);
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  private static final Set<String> KEYS =
      Set.of(
          "name",
          "type",
          "proxies",
          "use",
          "include-all",
          "include-all-proxies",
          "include-all-providers",
          "filter",
          "exclude-filter",
          "exclude-type",
          "url",
          "interval",
          "tolerance",
          "lazy",
          "timeout",
          "expected-status",
          "strategy",
          "disable-udp",
          "max-failed-times",
          "hidden",
          "icon",
          "interface-name",
          "routing-mark");

  private final SelectionStore store;
  private final Prober prober;
  private final TimeSource clock;
  private final List<CheckedGroup> checked = new ArrayList<>();
  private final Map<String, GroupLook> looks = new HashMap<>();

  private final int routingMark;

  /** {@code routingMark}: the top-level one, which all of Turnout's sockets carry (0: none). */
  public GroupConfig(SelectionStore store, Prober prober, TimeSource clock, int routingMark) {
    this.store = store;
    this.prober = prober;
    this.clock = clock;
    this.routingMark = routingMark;
  }

  /**
   * Reads {@code f}'s type and keys, recording every problem there, and builds the group over
   * {@code members} (the caller resolved them, and keeps them up to date). A url-test, fallback or
   * load-balance group without its own {@code url} checks as {@code lent} says (the health check of
   * a proxy provider it uses), when not null. Returns null when nothing can be built; the caller
   * also drops the group when {@code f} recorded an error, and puts {@code f}'s unavailable member
   * in its place when the group asks for dialing of its own ({@link Fields#unavailable()}).
   */
  public Group read(Fields f, Members members, HealthCheck lent) {
    String type = f.oneOf("type", TYPES, null);
    if (type == null) {
      return null;
    }
    f.unknownKeys(KEYS);
    boolean hidden = f.bool("hidden", false);
    String icon = f.string("icon", false);
    if (hidden || icon != null) {
      looks.put(f.name(), new GroupLook(hidden, icon == null ? "" : icon));
    }
    if (dialsItsOwnWay(f)) {
      return null;
    }
    boolean noUdp = f.bool("disable-udp", false);
    if ("select".equals(type)) {
      SelectGroup g = new SelectGroup(f.name(), members, store);
      if (noUdp) {
        g.disableUdp();
      }
      return g;
    }
    if ("relay".equals(type)) {
      return relay(f, members.get());
    }
    boolean needsUrl = !"load-balance".equals(type) && lent == null;
    String url = f.string("url", needsUrl);
    URI uri = lent == null ? null : lent.url();
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
    HealthCheck defaults =
        lent != null && url == null
            ? lent
            : new HealthCheck(null, DEFAULT_INTERVAL, DEFAULT_TIMEOUT, true);
    int interval = f.integer("interval", (int) defaults.interval().toSeconds(), 1, 86_400);
    int timeout = f.integer("timeout", (int) defaults.timeout().toMillis(), 1, 60_000);
    boolean lazy = f.bool("lazy", defaults.lazy());
    ExpectedStatus expected = defaults.expected();
    String status = f.string("expected-status", false);
    if (status != null) {
      try {
        expected = ExpectedStatus.parse(status);
      } catch (IllegalArgumentException e) {
        f.error("expected-status", e.getMessage());
      }
    }
    HealthCheck check =
        new HealthCheck(
            uri,
            Duration.ofSeconds(interval),
            Duration.ofMillis(Math.min(timeout, interval * 1000L)),
            lazy,
            expected);
    CheckedGroup g = checkedGroup(f, type, members, check);
    g.checkAfterFailures(
        f.integer("max-failed-times", CheckedGroup.MAX_FAILED_TIMES, 0, 1_000_000));
    if (noUdp) {
      g.disableUdp();
    }
    g.remember(store);
    if (uri != null) {
      checked.add(g);
    }
    return g;
  }

  /**
   * mihomo's group-level {@code interface-name} and {@code routing-mark} (deprecated there in
   * favour of the proxies' own) apply to every member's dial. Turnout dials each member its own
   * way, so ignoring them would send the members' connections out of another interface than
   * written: such a group is unavailable instead. Empty, or the top-level mark, they ask nothing.
   */
  private boolean dialsItsOwnWay(Fields f) {
    String device = f.string("interface-name", false);
    if (device != null && !device.isEmpty()) {
      f.unsupported(
          "interface-name",
          "a group's own interface-name is not supported (mihomo deprecates it): set"
              + " interface-name on its proxies");
    }
    int mark = f.integer("routing-mark", 0, 0, Integer.MAX_VALUE);
    if (mark != 0 && mark != routingMark) {
      f.unsupported(
          "routing-mark",
          "a group's own routing-mark is not supported (mihomo deprecates it): Turnout's sockets"
              + " all carry the top-level routing-mark");
    }
    return f.unavailable() != null;
  }

  /** A relay chain: after the first member, each must be a proxy with a server to reach. */
  private static Group relay(Fields f, List<Outbound> members) {
    for (Outbound m : members.subList(Math.min(1, members.size()), members.size())) {
      if (!(m instanceof ProxyOutbound)) {
        f.error(
            "proxies",
            "member \""
                + m.name()
                + "\" cannot be reached through another: after the first, relay members must be"
                + " proxies (not groups, DIRECT or REJECT)");
      }
    }
    return members.isEmpty() || f.failed() ? null : new RelayGroup(f.name(), members);
  }

  private CheckedGroup checkedGroup(Fields f, String type, Members members, HealthCheck check) {
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
            f.oneOf(
                "strategy",
                List.of("consistent-hashing", "round-robin", "sticky-sessions"),
                "consistent-hashing");
        if ("sticky-sessions".equals(strategy)) { // mihomo's: a source and destination stay put
          f.warn(
              "strategy",
              "sticky-sessions is served by consistent-hashing: each destination stays on one"
                  + " member");
        }
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
  public SelectGroup select(String name, Members members) {
    return new SelectGroup(name, members, store);
  }

  /** How the dashboards show the groups read so far that said so, by name. */
  public Map<String, GroupLook> looks() {
    return Map.copyOf(looks);
  }

  /** The health checks of the groups read so far, run by {@code scheduler} once started. */
  public HealthChecks healthChecks(Scheduler scheduler) {
    return new HealthChecks(checked, scheduler);
  }
}
