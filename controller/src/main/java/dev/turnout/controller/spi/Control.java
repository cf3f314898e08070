package dev.turnout.controller.spi;

import java.util.Objects;

/** Everything the controller reaches in a running Turnout. */
public record Control(
    ConfigControl config,
    ProxyControl proxies,
    ProviderControl providers,
    RuleControl rules,
    ConnectionControl connections,
    DnsControl dns,
    LogRing logs) {
  public Control {
    Objects.requireNonNull(config, "config");
    Objects.requireNonNull(proxies, "proxies");
    Objects.requireNonNull(providers, "providers");
    Objects.requireNonNull(rules, "rules");
    Objects.requireNonNull(connections, "connections");
    Objects.requireNonNull(dns, "dns");
    Objects.requireNonNull(logs, "logs");
  }
}
