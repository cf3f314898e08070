package dev.turnout.launcher;

import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.ProxyControl;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.UdpOutbound;
import dev.turnout.outbound.UnavailableOutbound;
import dev.turnout.outbound.config.Outbounds;
import dev.turnout.outbound.group.CheckedGroup;
import dev.turnout.outbound.group.GroupLook;
import dev.turnout.outbound.group.Prober;
import dev.turnout.outbound.group.SelectGroup;
import dev.turnout.outbound.provider.ProxyProvider;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's view of the current generation's outbounds: every proxy, built-in and group in
 * mihomo's terms, selecting members (select groups, and fixing url-test and fallback groups, both
 * remembered across restarts by the outbound module's selection store), and delay tests through the
 * same HTTP probe the groups' health checks use, each recorded in a {@link DelayHistory} that
 * outlives reloads. A proxy is alive unless its latest test or health check failed. Thread-safe.
 */
final class LiveProxies implements ProxyControl {
  private static final Logger log = LoggerFactory.getLogger(LiveProxies.class);

  private final LiveRouting routing;
  private final Prober prober;
  private final DelayHistory history;

  LiveProxies(LiveRouting routing, Prober prober, DelayHistory history) {
    this.routing = routing;
    this.prober = prober;
    this.history = history;
  }

  @Override
  public List<Proxy> all() {
    Generation g = routing.current();
    Map<String, Health> health = health(g.outbounds);
    List<Proxy> all = new ArrayList<>();
    for (Outbound o : g.outbounds.asMap().values()) {
      all.add(view(g, o, health));
    }
    Set<String> listed = new HashSet<>(g.outbounds.asMap().keySet());
    for (ProxyProvider p : g.outbounds.providers().list()) {
      for (Outbound o : p.proxies()) {
        if (listed.add(o.name())) {
          all.add(view(g, o, health));
        }
      }
    }
    return all;
  }

  @Override
  public Proxy get(String name) {
    Generation g = routing.current();
    Outbound o = find(g, name);
    return o == null ? null : view(g, o, health(g.outbounds));
  }

  /** The providers' proxies of {@code provider} as the API shows them. */
  List<Proxy> views(ProxyProvider provider) {
    Generation g = routing.current();
    Map<String, Health> health = health(g.outbounds);
    return provider.proxies().stream().map(o -> view(g, o, health)).toList();
  }

  /**
   * Tests every proxy of {@code provider} with {@code url} and records the results, as a provider's
   * health check in a dashboard does.
   */
  CompletionStage<Void> testAll(ProxyProvider provider, URI url, Duration timeout) {
    List<CompletableFuture<Integer>> tests = new ArrayList<>();
    for (Outbound o : provider.proxies()) {
      if (!UnavailableOutbound.is(o)) {
        tests.add(test(o, url, timeout).exceptionally(e -> 0));
      }
    }
    return CompletableFuture.allOf(tests.toArray(CompletableFuture[]::new));
  }

  /** A proxy, built-in or group by name, or a proxy a provider brought; null if none. */
  static Outbound find(Generation g, String name) {
    Outbound o = g.outbounds.get(name);
    if (o != null) {
      return o;
    }
    for (ProxyProvider p : g.outbounds.providers().list()) {
      for (Outbound proxy : p.proxies()) {
        if (proxy.name().equals(name)) {
          return proxy;
        }
      }
    }
    return null;
  }

  @Override
  public void select(String group, String member) {
    Outbound o = routing.current().outbounds.get(group);
    if (o == null) {
      throw ControlException.notFound();
    }
    String before = o instanceof dev.turnout.outbound.group.Group g ? g.now() : null;
    try {
      if (o instanceof SelectGroup select) {
        select.select(member);
      } else if (o instanceof CheckedGroup checked && checked.fixable()) {
        checked.fix(member);
      } else {
        throw ControlException.badRequest("Must be a Selector");
      }
    } catch (IllegalArgumentException e) {
      throw ControlException.badRequest("Selector update error: proxy not exist");
    }
    log.info("proxies: {} now uses {} for new connections (was {})", group, member, before);
  }

  @Override
  public void unfix(String group) {
    Outbound o = routing.current().outbounds.get(group);
    if (o == null) {
      throw ControlException.notFound();
    }
    if (!(o instanceof CheckedGroup checked) || !checked.fixable()) {
      throw ControlException.badRequest("Body invalid");
    }
    checked.unfix();
    log.info("proxies: {} chooses by itself again", group);
  }

  @Override
  public CompletionStage<Integer> delay(String name, URI url, Duration timeout) {
    Outbound o = find(routing.current(), name);
    if (o == null) {
      throw ControlException.notFound();
    }
    return test(o, url, timeout);
  }

  /** One probe through {@code o}, recorded whatever its outcome. */
  private CompletableFuture<Integer> test(Outbound o, URI url, Duration timeout) {
    return prober
        .probe(o, url, timeout)
        .toCompletableFuture()
        .whenComplete((delay, error) -> history.record(o.name(), error == null ? millis(delay) : 0))
        .thenApply(LiveProxies::millis);
  }

  @Override
  public CompletionStage<Map<String, Integer>> groupDelay(String name, URI url, Duration timeout) {
    Outbound o = routing.current().outbounds.get(name);
    if (!(o instanceof dev.turnout.outbound.group.Group group)) {
      throw ControlException.notFound();
    }
    if (o instanceof CheckedGroup checked && checked.testUrl() != null) {
      // url-test, fallback and load-balance groups test with their own URL, and learn from it.
      return checked
          .checkNow()
          .thenApply(
              results -> {
                Map<String, Integer> delays = new LinkedHashMap<>();
                results.forEach(
                    (member, h) -> {
                      history.record(member, h.alive() ? millis(h.delay()) : 0);
                      if (h.alive()) {
                        delays.put(member, millis(h.delay()));
                      }
                    });
                return delays;
              });
    }
    Map<String, CompletableFuture<Integer>> tests = new LinkedHashMap<>();
    Generation g = routing.current();
    for (String member : group.members()) {
      Outbound m = find(g, member);
      if (m != null) {
        tests.put(member, test(m, url, timeout).exceptionally(e -> 0));
      }
    }
    return CompletableFuture.allOf(tests.values().toArray(CompletableFuture[]::new))
        .thenApply(
            v -> {
              Map<String, Integer> delays = new LinkedHashMap<>();
              tests.forEach(
                  (member, f) -> {
                    if (f.join() > 0) {
                      delays.put(member, f.join());
                    }
                  });
              return delays;
            });
  }

  static int millis(Duration delay) {
    return (int) Math.max(1, Math.min(65_535, delay.toMillis()));
  }

  /** The last health check of every group member, newest per name. */
  private record Health(Instant at, boolean alive) {}

  private static Map<String, Health> health(Outbounds outbounds) {
    Map<String, Health> latest = new HashMap<>();
    for (var g : outbounds.groups()) {
      if (g instanceof CheckedGroup checked) {
        checked
            .health()
            .forEach(
                (member, h) ->
                    latest.merge(
                        member,
                        new Health(h.at(), h.alive()),
                        (a, b) -> a.at().isAfter(b.at()) ? a : b));
      }
    }
    return latest;
  }

  private Proxy view(Generation g, Outbound o, Map<String, Health> health) {
    List<Delay> delays = history.of(o.name());
    boolean alive = true;
    Instant last = null;
    if (!delays.isEmpty()) {
      Delay d = delays.get(delays.size() - 1);
      alive = d.delay() > 0;
      last = d.time();
    }
    Health h = health.get(o.name());
    if (h != null && (last == null || h.at().isAfter(last))) {
      alive = h.alive();
    }
    boolean udp =
        o instanceof UdpOutbound
            && !(o instanceof dev.turnout.outbound.group.Group grp && grp.udpDisabled());
    return new Proxy(o.name(), o.type(), udp, alive, delays, group(g, o));
  }

  private static Group group(Generation g, Outbound o) {
    if (!(o instanceof dev.turnout.outbound.group.Group group)) {
      return null;
    }
    List<String> members = group.members();
    if (o == g.outbounds.global()) {
      members = inFileOrder(g, members);
    }
    CheckedGroup checked = o instanceof CheckedGroup c ? c : null;
    boolean balancing = o.type().equals("LoadBalance");
    GroupLook look = g.outbounds.look(o.name());
    return new Group(
        balancing ? null : group.now(),
        members,
        checked == null || checked.testUrl() == null ? "" : checked.testUrl().toString(),
        checked != null && checked.fixable() ? checked.fixed() : null,
        look.hidden(),
        look.icon());
  }

  /**
   * GLOBAL's members as the file lists them (built-ins, proxies, then groups in the order written):
   * both dashboards order the groups by their place in GLOBAL.
   */
  private static List<String> inFileOrder(Generation g, List<String> members) {
    Map<String, Integer> order = new HashMap<>();
    int i = 0;
    for (Outbound o : g.outbounds.asMap().values()) {
      if (!(o instanceof dev.turnout.outbound.group.Group)) {
        order.put(o.name(), i++);
      }
    }
    for (var entry : g.config.proxies().groups()) {
      String name = entry.text("name").orElse(null);
      if (name != null) {
        order.putIfAbsent(name, i++);
      }
    }
    List<String> sorted = new ArrayList<>(members);
    int last = i;
    sorted.sort(Comparator.comparingInt(name -> order.getOrDefault(name, last)));
    return sorted;
  }
}
