package dev.turnout.controller.spi;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletionStage;

/** Proxy and rule providers: listing and refreshing them. */
public interface ProviderControl {
  /** A proxy provider: its proxies as full objects, and when its list was last fetched. */
  record ProxyProvider(
      String name,
      String vehicleType,
      List<ProxyControl.Proxy> proxies,
      String testUrl,
      Instant updatedAt) {}

  /**
   * A rule provider: behaviour ({@code Domain}, {@code IPCIDR}, {@code Classical}), format ({@code
   * YamlRule}, {@code TextRule}), where it comes from ({@code HTTP}, {@code File}), how many
   * entries it holds and when they were read.
   */
  record RuleProvider(
      String name,
      String behavior,
      String format,
      String vehicleType,
      int ruleCount,
      Instant updatedAt) {}

  List<ProxyProvider> proxyProviders();

  /** Fetches the provider's list again; not found for an unknown one. */
  CompletionStage<Void> updateProxyProvider(String name);

  /** Tests every proxy of the provider; not found for an unknown one. */
  CompletionStage<Void> healthCheckProxyProvider(String name);

  List<RuleProvider> ruleProviders();

  /** Reads or downloads the provider's list again now; not found for an unknown one. */
  CompletionStage<Void> updateRuleProvider(String name);
}
