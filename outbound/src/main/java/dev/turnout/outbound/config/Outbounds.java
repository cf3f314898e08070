package dev.turnout.outbound.config;

import dev.turnout.outbound.ConfigProblem;
import dev.turnout.outbound.Outbound;
import dev.turnout.outbound.ProxyOutbound;
import dev.turnout.outbound.group.Group;
import dev.turnout.outbound.group.GroupLook;
import dev.turnout.outbound.group.HealthChecks;
import dev.turnout.outbound.group.SelectGroup;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Every outbound of one configuration by name: DIRECT, REJECT, REJECT-DROP, the proxies, the groups
 * and GLOBAL (a select group over all the others and the providers' proxies). Health checks run
 * between {@link #start()} and {@link #close()}. Thread-safe.
 */
public final class Outbounds implements AutoCloseable {
  public static final String GLOBAL = "GLOBAL";

  private final Map<String, Outbound> all;
  private final List<Outbound> proxies;
  private final List<Group> groups;
  private final SelectGroup global;
  private final HealthChecks healthChecks;
  private final ProxyProviders providers;
  private final Map<String, GroupLook> looks;

  Outbounds(
      Map<String, Outbound> all,
      List<Outbound> proxies,
      List<Group> groups,
      SelectGroup global,
      HealthChecks checks,
      ProxyProviders providers,
      Map<String, GroupLook> looks) {
    this.all = Collections.unmodifiableMap(new LinkedHashMap<>(all));
    this.proxies = List.copyOf(proxies);
    this.groups = List.copyOf(groups);
    this.global = global;
    this.healthChecks = checks;
    this.providers = providers;
    this.looks = Map.copyOf(looks);
  }

  /** How the dashboards show the group {@code name}: {@link GroupLook#PLAIN} unless it said. */
  public GroupLook look(String name) {
    return looks.getOrDefault(name, GroupLook.PLAIN);
  }

  /** The outbound with this name, or null. */
  public Outbound get(String name) {
    return all.get(name);
  }

  /** All outbounds by name, built-ins first, then proxies and groups in file order, GLOBAL last. */
  public Map<String, Outbound> asMap() {
    return all;
  }

  /** The upstream proxies of {@code proxies:} (not the built-ins, groups or providers'). */
  public List<Outbound> proxies() {
    return proxies;
  }

  /**
   * The proxy providers, whose proxies the groups that use them hold (by their own names, which
   * rules cannot name, as in mihomo), and their refreshing.
   */
  public ProxyProviders providers() {
    return providers;
  }

  /** The groups in dependency order (members before the groups that use them), without GLOBAL. */
  public List<Group> groups() {
    return groups;
  }

  public SelectGroup global() {
    return global;
  }

  /** Starts the periodic health checks of url-test, fallback and load-balance groups. */
  public void start() {
    healthChecks.start();
  }

  /**
   * Tries a TCP connection to every proxy server and reports those that do not answer within {@code
   * timeout} as warnings: an unreachable proxy at start is worth a message, not a refusal.
   */
  public CompletionStage<List<ConfigProblem>> checkServers(EventLoopGroup loops, Duration timeout) {
    List<CompletableFuture<ConfigProblem>> checks = new ArrayList<>();
    for (int i = 0; i < proxies.size(); i++) {
      if (!(proxies.get(i) instanceof ProxyOutbound p)) {
        continue;
      }
      CompletableFuture<ConfigProblem> result = new CompletableFuture<>();
      checks.add(result);
      var loop = loops.next();
      var dial = p.dialServer(loop);
      var timer =
          loop.schedule(
              () -> dial.cancel(false),
              timeout.toMillis(),
              java.util.concurrent.TimeUnit.MILLISECONDS);
      dial.addListener(
          f -> {
            timer.cancel(false);
            if (f.isSuccess()) {
              ((Channel) f.getNow()).close();
              result.complete(null);
            } else {
              String why = f.isCancelled() ? "no answer within " + timeout : f.cause().toString();
              result.complete(
                  new ConfigProblem(
                      ConfigProblem.Severity.WARNING,
                      ConfigProblem.Section.PROXIES,
                      p.configIndex(),
                      p.name(),
                      "server",
                      "cannot reach " + p.server() + ":" + p.port() + " now: " + why));
            }
          });
    }
    return CompletableFuture.allOf(checks.toArray(CompletableFuture[]::new))
        .thenApply(
            v -> checks.stream().map(CompletableFuture::join).filter(c -> c != null).toList());
  }

  /**
   * Stops the health checks and the proxies that run something of their own (WireGuard's tunnels,
   * whose connections end with them); other open connections are not touched.
   */
  @Override
  public void close() {
    healthChecks.close();
    for (Outbound p : proxies) {
      if (p instanceof AutoCloseable running) {
        try {
          running.close();
        } catch (Exception e) {
          org.slf4j.LoggerFactory.getLogger(Outbounds.class)
              .warn("closing {}: {}", p.name(), e.toString());
        }
      }
    }
  }
}
