package dev.turnout.controller;

import static io.netty.handler.codec.http.HttpMethod.GET;
import static io.netty.handler.codec.http.HttpMethod.PUT;

import dev.turnout.controller.spi.ControlException;
import dev.turnout.controller.spi.ProviderControl;
import dev.turnout.controller.spi.ProxyControl;

/**
 * {@code /providers/proxies} and {@code /providers/rules}. Both dashboards need the lists to answer
 * 2xx even when there are no providers ({@code {"providers":{}}}).
 */
final class ProviderApi {
  private final ProviderControl providers;
  private final ProxyApi proxyApi;

  ProviderApi(ProviderControl providers, ProxyApi proxyApi) {
    this.providers = providers;
    this.proxyApi = proxyApi;
  }

  void register(Routes routes) {
    routes
        .add(GET, "/providers/proxies", this::proxyProviders)
        .add(GET, "/providers/proxies/{provider}", this::proxyProvider)
        .add(PUT, "/providers/proxies/{provider}", x -> update(x, true))
        .add(GET, "/providers/proxies/{provider}/healthcheck", this::healthCheck)
        .add(GET, "/providers/proxies/{provider}/{name}", this::providerProxy)
        .add(GET, "/providers/proxies/{provider}/{name}/healthcheck", this::providerProxyDelay)
        .add(GET, "/providers/rules", this::ruleProviders)
        .add(PUT, "/providers/rules/{provider}", x -> update(x, false));
  }

  private void proxyProviders(Exchange x) {
    x.json(
        GeneralApi.ok(),
        w -> {
          w.beginObject().name("providers").beginObject();
          for (ProviderControl.ProxyProvider p : providers.proxyProviders()) {
            w.name(p.name());
            ProxyJson.proxyProvider(w, p);
          }
          w.endObject().endObject();
        });
  }

  private ProviderControl.ProxyProvider find(String name) {
    for (ProviderControl.ProxyProvider p : providers.proxyProviders()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw ControlException.notFound();
  }

  private ProxyControl.Proxy find(ProviderControl.ProxyProvider provider, String name) {
    for (ProxyControl.Proxy p : provider.proxies()) {
      if (p.name().equals(name)) {
        return p;
      }
    }
    throw ControlException.notFound();
  }

  private void proxyProvider(Exchange x) {
    ProviderControl.ProxyProvider p = find(x.param("provider"));
    x.json(GeneralApi.ok(), w -> ProxyJson.proxyProvider(w, p));
  }

  private void providerProxy(Exchange x) {
    ProxyControl.Proxy p = find(find(x.param("provider")), x.param("name"));
    x.json(GeneralApi.ok(), w -> ProxyJson.proxy(w, p));
  }

  private void providerProxyDelay(Exchange x) {
    ProxyControl.Proxy p = find(find(x.param("provider")), x.param("name"));
    proxyApi.delay(x, p.name());
  }

  private void healthCheck(Exchange x) {
    x.later(providers.healthCheckProxyProvider(x.param("provider")), v -> x.noContent());
  }

  private void update(Exchange x, boolean proxies) {
    String name = x.param("provider");
    x.later(
        proxies ? providers.updateProxyProvider(name) : providers.updateRuleProvider(name),
        v -> x.noContent());
  }

  private void ruleProviders(Exchange x) {
    x.json(
        GeneralApi.ok(),
        w -> {
          w.beginObject().name("providers").beginObject();
          for (ProviderControl.RuleProvider p : providers.ruleProviders()) {
            w.name(p.name());
            ProxyJson.ruleProvider(w, p);
          }
          w.endObject().endObject();
        });
  }
}
