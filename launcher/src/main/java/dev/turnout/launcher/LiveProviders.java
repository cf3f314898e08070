package dev.turnout.launcher;

import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.ProviderControl;
import dev.turnout.outbound.group.HealthCheck;
import dev.turnout.outbound.provider.ProxyProviderSpec;
import dev.turnout.rules.ProviderSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's view of the providers of the current generation: the proxy providers (their
 * proxies as {@link LiveProxies} shows them, their last download or read), updating one on demand
 * and its health check (every proxy tested with the provider's {@code health-check.url}); the rule
 * providers (their entry counts from the rule engine, their time from the list file on disk) and
 * refreshing one on demand. Updates run on the providers' own thread, where their periodic
 * refreshes run too. Thread-safe.
 */
final class LiveProviders implements ProviderControl {
  private static final Logger log = LoggerFactory.getLogger(LiveProviders.class);

  private final LiveRouting routing;
  private final LiveProxies proxies;
  private final Executor refresher;

  LiveProviders(LiveRouting routing, LiveProxies proxies, Executor refresher) {
    this.routing = routing;
    this.proxies = proxies;
    this.refresher = refresher;
  }

  @Override
  public List<ProxyProvider> proxyProviders() {
    Generation g = routing.current();
    List<ProxyProvider> list = new ArrayList<>();
    for (dev.turnout.outbound.provider.ProxyProvider p : g.outbounds.providers().list()) {
      ProxyProviderSpec spec = p.spec();
      HealthCheck check = spec.healthCheck();
      list.add(
          new ProxyProvider(
              p.name(),
              switch (spec.type()) {
                case HTTP -> "HTTP";
                case FILE -> "File";
                case INLINE -> "Inline";
              },
              proxies.views(p),
              check == null || check.url() == null ? "" : check.url().toString(),
              p.updated() == null ? g.loaded : p.updated()));
    }
    return list;
  }

  @Override
  public CompletionStage<Void> updateProxyProvider(String name) {
    Generation g = routing.current();
    if (g.outbounds.providers().get(name) == null) {
      throw ControlException.notFound();
    }
    return CompletableFuture.runAsync(
        () -> {
          boolean changed = g.outbounds.providers().refresh(name, g.subscriptions);
          log.info(
              "proxy provider {}: updated on request, {}",
              name,
              changed ? "replaced" : "kept (the download failed)");
        },
        refresher);
  }

  @Override
  public CompletionStage<Void> healthCheckProxyProvider(String name) {
    dev.turnout.outbound.provider.ProxyProvider p =
        routing.current().outbounds.providers().get(name);
    if (p == null) {
      throw ControlException.notFound();
    }
    HealthCheck check = p.spec().healthCheck();
    if (check == null || check.url() == null) {
      // Turnout never probes a built-in public address on the user's behalf.
      throw ControlException.badRequest(
          "proxy provider " + name + " has no health-check url to test with");
    }
    return proxies.testAll(p, check.url(), check.timeout());
  }

  @Override
  public List<RuleProvider> ruleProviders() {
    Generation g = routing.current();
    Map<String, Integer> sizes = g.rules.providerSizes();
    List<RuleProvider> list = new ArrayList<>();
    for (ProviderSpec spec : g.config.ruleProviders()) {
      list.add(
          new RuleProvider(
              spec.name(),
              switch (spec.behavior()) {
                case DOMAIN -> "Domain";
                case IPCIDR -> "IPCIDR";
                case CLASSICAL -> "Classical";
              },
              spec.format() == ProviderSpec.Format.YAML ? "YamlRule" : "TextRule",
              spec.type() == ProviderSpec.Type.HTTP ? "HTTP" : "File",
              sizes.getOrDefault(spec.name(), 0),
              updatedAt(g, spec)));
    }
    return list;
  }

  /** When the list on disk was written; the generation's load time when there is none yet. */
  private static Instant updatedAt(Generation g, ProviderSpec spec) {
    Path file = spec.path();
    if (file == null) {
      String ext = spec.format() == ProviderSpec.Format.YAML ? ".yaml" : ".txt";
      file = g.config.files().stateDir().resolve("providers").resolve(spec.name() + ext);
    }
    try {
      return Files.getLastModifiedTime(file).toInstant();
    } catch (IOException e) {
      return g.loaded;
    }
  }

  @Override
  public CompletionStage<Void> updateRuleProvider(String name) {
    Generation g = routing.current();
    if (g.config.ruleProviders().stream().noneMatch(p -> p.name().equals(name))) {
      throw ControlException.notFound();
    }
    return CompletableFuture.runAsync(
        () -> {
          boolean changed = g.rules.refresh(name);
          log.info(
              "rule provider {}: refreshed on request, {}",
              name,
              changed ? "changed" : "unchanged");
        },
        refresher);
  }
}
