package dev.turnout.outbound.config;

import dev.turnout.netbase.TimeSource;
import dev.turnout.outbound.Dialer;
import dev.turnout.outbound.provider.ProviderLoader;
import dev.turnout.outbound.provider.ProxyProvider;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy providers of one configuration as they run, and their refreshing: an http provider is
 * downloaded when its copy is missing or older than its {@code interval}, a file provider re-read
 * every {@code interval}; the groups that use a provider see its new proxies at once, as a whole. A
 * download that fails keeps the proxies in use and says so; it is tried again after at most {@link
 * #RETRY}. Not thread-safe: refreshes run on one thread (the groups may be read meanwhile).
 */
public final class ProxyProviders {
  private static final Logger log = LoggerFactory.getLogger(ProxyProviders.class);

  /** After a failed download, the next attempt is this much later (or the interval, if less). */
  static final Duration RETRY = Duration.ofSeconds(60);

  private final Map<String, ProxyProvider> providers = new LinkedHashMap<>();
  private final ProviderLoader loader;
  private final Dialer dialer;
  private final TimeSource clock;
  private final Map<String, Instant> nextAttempt = new HashMap<>();

  ProxyProviders(
      List<ProxyProvider> providers, ProviderLoader loader, Dialer dialer, TimeSource clock) {
    providers.forEach(p -> this.providers.put(p.name(), p));
    this.loader = loader;
    this.dialer = dialer;
    this.clock = clock;
    Instant now = clock.instant();
    for (ProxyProvider p : providers) {
      if (p.spec().type() == ProxyProviderSpec.Type.FILE && !p.spec().interval().isZero()) {
        nextAttempt.put(p.name(), now.plus(p.spec().interval()));
      }
    }
  }

  /** Every provider, in configuration order. */
  public List<ProxyProvider> list() {
    return List.copyOf(providers.values());
  }

  /** The provider called {@code name}, or null. */
  public ProxyProvider get(String name) {
    return providers.get(name);
  }

  /**
   * Refreshes every provider that is due: http ones whose copy is missing or stale, file ones whose
   * interval has passed. Blocks while downloading. Returns how many were updated.
   */
  public synchronized int refreshDue(ProviderLoader.Fetch fetch) {
    int updated = 0;
    Instant now = clock.instant();
    for (ProxyProvider p : providers.values()) {
      Instant next = nextAttempt.get(p.name());
      boolean due = next != null ? !now.isBefore(next) : loader.stale(p.spec());
      if (due && refresh(p, fetch)) {
        updated++;
      }
    }
    return updated;
  }

  /**
   * Refreshes {@code name} now, whatever its interval (a dashboard's "update" button). Returns true
   * when its proxies were replaced.
   *
   * @throws IllegalArgumentException when there is no such provider
   */
  public synchronized boolean refresh(String name, ProviderLoader.Fetch fetch) {
    ProxyProvider p = providers.get(name);
    if (p == null) {
      throw new IllegalArgumentException("no proxy provider named " + name);
    }
    return refresh(p, fetch);
  }

  private boolean refresh(ProxyProvider p, ProviderLoader.Fetch fetch) {
    ProxyProviderSpec spec = p.spec();
    Instant now = clock.instant();
    try {
      ProviderLoader.Content content = loader.download(spec, fetch);
      ProvidedProxies.Built built = ProvidedProxies.build(spec, content, dialer);
      built.problems().forEach(problem -> log.debug("proxy provider {}: {}", p.name(), problem));
      p.update(built.proxies(), content.origin(), content.fetched());
      log.info("proxy provider {}: {} from {}", p.name(), built.describe(), content.origin());
      if (spec.type() == ProxyProviderSpec.Type.FILE && !spec.interval().isZero()) {
        nextAttempt.put(p.name(), now.plus(spec.interval()));
      } else {
        nextAttempt.remove(p.name());
      }
      return true;
    } catch (IOException | RuntimeException e) {
      Duration retry =
          spec.interval().isZero() || spec.interval().compareTo(RETRY) > 0
              ? RETRY
              : spec.interval();
      nextAttempt.put(p.name(), now.plus(retry));
      String why = e.getMessage() == null ? e.toString() : e.getMessage();
      if (p.updated() != null || !p.proxies().isEmpty()) {
        log.warn(
            "proxy provider {}: download failed ({}); keeping {} proxies from the {}",
            p.name(),
            why,
            p.proxies().size(),
            p.origin());
      } else {
        log.warn(
            "proxy provider {}: download failed ({}) and no copy is kept: no proxies until a"
                + " download succeeds",
            p.name(),
            why);
      }
      return false;
    }
  }
}
