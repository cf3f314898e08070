package dev.turnout.outbound.provider;

import dev.turnout.outbound.Outbound;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * One proxy provider as it runs: the proxies it serves now, replaced as a whole by {@link #update}
 * when it is refreshed, which then tells every group that uses it. Readers see the old list or the
 * new one, never a mix. Thread-safe.
 */
public final class ProxyProvider {
  private final ProxyProviderSpec spec;
  private final List<Runnable> listeners = new CopyOnWriteArrayList<>();
  private volatile List<Outbound> proxies;
  private volatile String origin;
  private volatile Instant updated;

  public ProxyProvider(
      ProxyProviderSpec spec, List<Outbound> proxies, String origin, Instant updated) {
    this.spec = spec;
    this.proxies = List.copyOf(proxies);
    this.origin = origin;
    this.updated = updated;
  }

  public String name() {
    return spec.name();
  }

  public ProxyProviderSpec spec() {
    return spec;
  }

  /** The proxies now, in the order served; an immutable snapshot. */
  public List<Outbound> proxies() {
    return proxies;
  }

  /** Where the proxies came from: a download, a kept copy, a file, inline. */
  public String origin() {
    return origin;
  }

  /** When they were downloaded; null for file and inline providers and before any download. */
  public Instant updated() {
    return updated;
  }

  /** Replaces the proxies, then tells the groups that use this provider. */
  public void update(List<Outbound> proxies, String origin, Instant updated) {
    this.proxies = List.copyOf(proxies);
    this.origin = origin;
    this.updated = updated;
    listeners.forEach(Runnable::run);
  }

  /** {@code listener} runs after every {@link #update}, on the thread that called it. */
  public void onUpdate(Runnable listener) {
    listeners.add(listener);
  }
}
