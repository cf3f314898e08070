package dev.turnout.controller;

import dev.turnout.controller.spi.ConfigControl;
import dev.turnout.controller.spi.ConnectionControl;
import dev.turnout.controller.spi.Control;
import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.DnsControl;
import dev.turnout.controller.spi.LogRing;
import dev.turnout.controller.spi.ProviderControl;
import dev.turnout.controller.spi.ProxyControl;
import dev.turnout.controller.spi.RuleControl;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A running Turnout as the controller sees it, held in memory and driven by the test: two proxies,
 * a select group, a url-test group, GLOBAL, rules, a rule provider and live connections, with every
 * call the controller makes recorded.
 */
final class FakeControl
    implements ConfigControl,
        ProxyControl,
        ProviderControl,
        RuleControl,
        ConnectionControl,
        DnsControl {
  final LogRing logs = new LogRing(16);
  final List<String> calls = new CopyOnWriteArrayList<>();
  volatile String mode = "rule";
  volatile String logLevel = "info";
  final Map<String, String> selected =
      new ConcurrentHashMap<>(Map.of("Proxy", "a", "GLOBAL", "DIRECT"));
  volatile String fixed = "";
  final Map<String, List<Delay>> history = new ConcurrentHashMap<>();

  /** Delay test outcomes by proxy name: a delay in ms, or absent for a timeout. */
  final Map<String, Integer> delays = new ConcurrentHashMap<>(Map.of("a", 12, "b", 34));

  final Map<String, Connection> live = new ConcurrentHashMap<>();
  final AtomicLong up = new AtomicLong();
  final AtomicLong down = new AtomicLong();
  volatile List<String> reloadErrors = List.of();
  volatile String geoError;

  Control control() {
    return new Control(this, this, this, this, this, this, logs);
  }

  // ConfigControl

  @Override
  public General current() {
    return new General(
        mode, logLevel, false, "*", Map.of("mixed-port", 0), false, "", true, "tun9");
  }

  @Override
  public void patch(Patch patch) {
    calls.add("patch " + patch);
    if (!patch.ports().isEmpty()) {
      throw ControlException.badRequest("ports cannot change while running");
    }
    if (patch.mode() != null) {
      mode = patch.mode();
    }
    if (patch.logLevel() != null) {
      logLevel = patch.logLevel();
    }
  }

  @Override
  public CompletionStage<Void> reload(String path, String payload, boolean force) {
    calls.add("reload path=" + path + " payload=" + payload + " force=" + force);
    if (!reloadErrors.isEmpty()) {
      return CompletableFuture.failedFuture(
          new ControlException(
              ControlException.Kind.BAD_REQUEST, "the configuration has errors", reloadErrors));
    }
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> restart() {
    calls.add("restart");
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> upgradeUi() {
    calls.add("upgradeUi");
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletionStage<Void> updateGeo() {
    calls.add("updateGeo");
    return geoError == null
        ? CompletableFuture.completedFuture(null)
        : CompletableFuture.failedFuture(
            new ControlException(ControlException.Kind.FAILED, geoError));
  }

  // ProxyControl

  @Override
  public List<Proxy> all() {
    List<Proxy> all = new ArrayList<>();
    for (String name : List.of("DIRECT", "REJECT", "a", "b", "Proxy", "Auto", "GLOBAL")) {
      all.add(get(name));
    }
    return all;
  }

  @Override
  public Proxy get(String name) {
    List<Delay> h = history.getOrDefault(name, List.of());
    return switch (name) {
      case "DIRECT" -> new Proxy(name, "Direct", true, true, h, null);
      case "REJECT" -> new Proxy(name, "Reject", false, true, h, null);
      case "a", "b" -> new Proxy(name, "Socks5", true, true, h, null);
      case "Proxy" ->
          new Proxy(
              name,
              "Selector",
              true,
              true,
              h,
              new Group(selected.get("Proxy"), List.of("a", "b", "DIRECT"), "", null, false, ""));
      case "Auto" ->
          new Proxy(
              name,
              "URLTest",
              true,
              true,
              h,
              new Group(
                  fixed.isEmpty() ? "a" : fixed,
                  List.of("a", "b"),
                  "http://203.0.113.10/",
                  fixed,
                  true,
                  "http://203.0.113.10/auto.png"));
      case "GLOBAL" ->
          new Proxy(
              name,
              "Selector",
              true,
              true,
              h,
              new Group(
                  selected.get("GLOBAL"),
                  List.of("DIRECT", "REJECT", "a", "b", "Proxy", "Auto"),
                  "",
                  null,
                  false,
                  ""));
      default -> null;
    };
  }

  @Override
  public void select(String group, String member) {
    calls.add("select " + group + " " + member);
    Proxy p = get(group);
    if (p == null) {
      throw ControlException.notFound();
    }
    if (p.group() == null) {
      throw ControlException.badRequest("Must be a Selector");
    }
    if (!p.group().all().contains(member)) {
      throw ControlException.badRequest("Selector update error: proxy not exist");
    }
    if (group.equals("Auto")) {
      fixed = member;
    } else {
      selected.put(group, member);
    }
  }

  @Override
  public void unfix(String group) {
    if (get(group) == null) {
      throw ControlException.notFound();
    }
    if (!group.equals("Auto")) {
      throw ControlException.badRequest("Body invalid");
    }
    fixed = "";
  }

  @Override
  public CompletionStage<Integer> delay(String name, URI url, Duration timeout) {
    calls.add("delay " + name + " " + url + " " + timeout.toMillis());
    if (get(name) == null) {
      throw ControlException.notFound();
    }
    Integer d = delays.get(name);
    history
        .computeIfAbsent(name, n -> new CopyOnWriteArrayList<>())
        .add(new Delay(Instant.parse("2026-12-04T10:00:00Z"), d == null ? 0 : d));
    return d == null
        ? CompletableFuture.failedFuture(new TimeoutException())
        : CompletableFuture.completedFuture(d);
  }

  @Override
  public CompletionStage<Map<String, Integer>> groupDelay(String name, URI url, Duration timeout) {
    calls.add("groupDelay " + name + " " + url);
    Proxy p = get(name);
    if (p == null || p.group() == null) {
      throw ControlException.notFound();
    }
    Map<String, Integer> result = new LinkedHashMap<>();
    for (String m : p.group().all()) {
      if (delays.containsKey(m)) {
        result.put(m, delays.get(m));
      }
    }
    return CompletableFuture.completedFuture(result);
  }

  // ProviderControl

  @Override
  public List<ProxyProvider> proxyProviders() {
    return List.of();
  }

  @Override
  public CompletionStage<Void> updateProxyProvider(String name) {
    throw ControlException.notFound();
  }

  @Override
  public CompletionStage<Void> healthCheckProxyProvider(String name) {
    throw ControlException.notFound();
  }

  @Override
  public List<RuleProvider> ruleProviders() {
    return List.of(
        new RuleProvider(
            "ads", "Domain", "TextRule", "File", 3, Instant.parse("2026-12-01T00:00:00Z")));
  }

  @Override
  public CompletionStage<Void> updateRuleProvider(String name) {
    calls.add("update rules " + name);
    if (!name.equals("ads")) {
      throw ControlException.notFound();
    }
    return CompletableFuture.completedFuture(null);
  }

  // RuleControl

  @Override
  public List<Rule> rules() {
    return List.of(
        new Rule("DomainSuffix", "example.test", "Proxy", "config.yaml:30"),
        new Rule("RuleSet", "ads", "REJECT", "config.yaml:31"),
        new Rule("Match", "", "DIRECT", "config.yaml:32"));
  }

  // ConnectionControl

  Connection add(String id, String host) {
    Connection c =
        new Connection(
            id,
            "tcp",
            "Tun",
            "198.18.0.1",
            40000,
            "",
            80,
            host,
            "DEFAULT-TUN",
            0,
            "",
            "fake-ip",
            "",
            "",
            100,
            2000,
            1_764_842_400_000L,
            List.of("a", "Proxy"),
            "DomainSuffix",
            "example.test",
            "");
    live.put(id, c);
    return c;
  }

  @Override
  public List<Connection> connections() {
    return new ArrayList<>(live.values());
  }

  @Override
  public boolean close(String id) {
    calls.add("close " + id);
    return live.remove(id) != null;
  }

  @Override
  public int closeAll() {
    int n = live.size();
    live.clear();
    calls.add("closeAll");
    return n;
  }

  @Override
  public long uploadTotal() {
    return up.get();
  }

  @Override
  public long downloadTotal() {
    return down.get();
  }

  // DnsControl

  @Override
  public CompletionStage<Reply> query(String name, String type) {
    if (!type.equals("A")) {
      throw ControlException.badRequest("invalid query type");
    }
    return CompletableFuture.completedFuture(
        new Reply(
            0,
            List.of(new Question(name + ".", 1, 1)),
            false,
            true,
            true,
            false,
            false,
            List.of(new Record(name + ".", 1, 60, "203.0.113.10")),
            List.of(),
            List.of()));
  }

  @Override
  public void flushFakeIp() {
    calls.add("flushFakeIp");
  }

  @Override
  public void flushCache() {
    calls.add("flushCache");
  }
}
