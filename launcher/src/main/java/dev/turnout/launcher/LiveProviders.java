package dev.turnout.launcher;

import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.ProviderControl;
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
 * The controller's view of the providers: the current generation's rule providers (their entry
 * counts from the rule engine, their time from the list file on disk) and refreshing one on demand,
 * on the providers' own thread. Turnout has no proxy providers yet: that list is empty and their
 * endpoints answer 404. Thread-safe.
 */
final class LiveProviders implements ProviderControl {
  private static final Logger log = LoggerFactory.getLogger(LiveProviders.class);

  private final LiveRouting routing;
  private final Executor refresher;

  LiveProviders(LiveRouting routing, Executor refresher) {
    this.routing = routing;
    this.refresher = refresher;
  }

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
