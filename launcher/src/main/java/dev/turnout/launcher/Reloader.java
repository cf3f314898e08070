package dev.turnout.launcher;

import dev.turnout.fakedns.DnsServer;
import dev.turnout.launcher.config.ConfigException;
import dev.turnout.launcher.config.ConfigLoader;
import dev.turnout.launcher.config.TurnoutConfig;
import java.io.Closeable;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a changed configuration to a running Turnout without dropping a connection: it loads and
 * checks the whole file, builds a complete {@link Generation} (proxies, groups, rules, providers,
 * DNS upstreams and filter), and only then swaps it in with {@link LiveRouting#swap}, points the
 * DNS server at its handler, and sets the log level (the mode is the new generation's router's,
 * from the file). The old generation retires (established flows keep their outbounds); the TUN,
 * routes, NAT and fake-IP mappings are never touched. A configuration with any error is rejected
 * whole: the running one stays, and every problem is logged and returned. Settings of the
 * long-lived parts (TUN, DNS listener, fake-IP ranges, state directory, controller, local proxy
 * listeners) take effect only after a restart; a reload that changes them says so.
 *
 * <p>Triggers: {@code PUT /configs} and {@code POST /restart} (the controller), SIGHUP, and the
 * file watch of {@code turnout run --watch}. Reloads run one at a time on their own thread; each
 * caller gets the outcome as a future.
 */
final class Reloader implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(Reloader.class);

  private final Path file;
  private final Foundation base;
  private final LiveRouting routing;
  private final List<DnsServer> dns; // empty without dns.enable; two with IPv6 on the TUN
  private final ExecutorService thread =
      Executors.newSingleThreadExecutor(Assembly.daemonThreads("turnout-reload"));

  Reloader(Path file, Foundation base, LiveRouting routing, List<DnsServer> dns) {
    this.file = file;
    this.base = base;
    this.routing = routing;
    this.dns = List.copyOf(dns);
  }

  /** The file Turnout was started with: what SIGHUP, the watch and an empty request reload. */
  Path file() {
    return file;
  }

  /** Reloads {@code path}; {@code why} names the trigger in the log. */
  CompletableFuture<TurnoutConfig> reloadFile(Path path, String why) {
    return submit(() -> ConfigLoader.load(path), why + " (" + path + ")");
  }

  /** Reloads the configuration written in {@code yaml} (relative paths from the file's). */
  CompletableFuture<TurnoutConfig> reloadText(String yaml, String why) {
    return submit(() -> ConfigLoader.parse(why, file, yaml), why);
  }

  /**
   * Reloads {@link #file} after its geodata files changed: the DNS side, which would otherwise be
   * kept when its settings are unchanged, reads them again too.
   */
  CompletableFuture<TurnoutConfig> reloadGeodata(String why) {
    return submit(() -> ConfigLoader.load(file), why + " (" + file + ")", false);
  }

  private interface Loader {
    TurnoutConfig load() throws ConfigException;
  }

  private CompletableFuture<TurnoutConfig> submit(Loader loader, String why) {
    return submit(loader, why, true);
  }

  private CompletableFuture<TurnoutConfig> submit(Loader loader, String why, boolean mayKeepDns) {
    CompletableFuture<TurnoutConfig> result = new CompletableFuture<>();
    try {
      thread.execute(
          () -> {
            try {
              result.complete(apply(loader.load(), why, mayKeepDns));
            } catch (ConfigException e) {
              log.error(
                  "reload ({}) rejected, the running configuration stays:\n  {}",
                  why,
                  String.join("\n  ", e.problems()));
              result.completeExceptionally(e);
            } catch (Exception e) {
              log.error(
                  "reload ({}) failed, the running configuration stays: {}", why, e.toString());
              result.completeExceptionally(e);
            }
          });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      result.completeExceptionally(new IllegalStateException("Turnout is stopping"));
    }
    return result;
  }

  private TurnoutConfig apply(TurnoutConfig next, String why, boolean mayKeepDns) throws Exception {
    long started = System.nanoTime();
    Generation running = routing.current();
    Generation built = Generation.build(next, base, running, mayKeepDns);
    built.start(base);
    routing.swap(built);
    if (built.dns != null) {
      for (DnsServer server : dns) {
        server.replaceHandler(built.dns);
      }
    }
    if (!next.logLevel().equals(running.config.logLevel())) {
      Logging.setLevel(next.logLevel()); // unchanged, a --log-level given at start stays
    }
    running.retire(base, built);
    List<String> fixed = needsRestart(running.config, next);
    if (!fixed.isEmpty()) {
      log.warn(
          "reload ({}): {} changed; that takes effect after a restart",
          why,
          String.join(", ", fixed));
    }
    log.info(
        "reload ({}): {} rules, {} outbounds, mode {}, DNS {}; applied to new connections in {}"
            + " ms, {} open connections keep theirs",
        why,
        next.rules().size(),
        built.outbounds.asMap().size(),
        next.mode().name().toLowerCase(java.util.Locale.ROOT),
        built.dnsParts == running.dnsParts ? "kept" : "rebuilt",
        (System.nanoTime() - started) / 1_000_000,
        base.connections().count());
    return next;
  }

  /** Settings of the long-lived parts that differ: they need a restart. */
  static List<String> needsRestart(TurnoutConfig running, TurnoutConfig next) {
    List<String> changed = new ArrayList<>();
    check(changed, "tun", running.tun(), next.tun());
    check(changed, "dns.fake-ip-range", running.plan(), next.plan());
    check(changed, "dns.enable", running.dns().enable(), next.dns().enable());
    check(changed, "dns.listen", running.dns().listen(), next.dns().listen());
    check(
        changed,
        "dns.system-resolver",
        running.dns().systemResolver(),
        next.dns().systemResolver());
    check(
        changed,
        "dns.fake-ip-range6",
        running.fakeDns().fakeIpRange6(),
        next.fakeDns().fakeIpRange6());
    check(changed, "allow-lan", running.fakeDns().allowLan(), next.fakeDns().allowLan());
    check(
        changed,
        "profile.store-fake-ip",
        running.fakeDns().storeFakeIp(),
        next.fakeDns().storeFakeIp());
    check(changed, "state-dir", running.files().stateDir(), next.files().stateDir());
    check(
        changed,
        "external-controller",
        running.control().controller(),
        next.control().controller());
    check(changed, "listeners", running.inbound().listeners(), next.inbound().listeners());
    return changed;
  }

  private static void check(List<String> changed, String key, Object before, Object after) {
    if (!Objects.equals(before, after)) {
      changed.add(key);
    }
  }

  /** Reload on SIGHUP, as daemons do, also when started under nohup. */
  void onHangup() {
    HangupSignal.handle(signal -> reloadFile(file, "SIGHUP"));
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
