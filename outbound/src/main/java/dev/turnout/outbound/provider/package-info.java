/**
 * Proxy providers: proxies that come from a subscription URL, a file or the configuration itself
 * rather than from {@code proxies:}. {@link dev.turnout.outbound.provider.Subscription} reads what
 * subscription services serve (Clash YAML, or proxy URIs plain or base64, see {@link
 * dev.turnout.outbound.provider.ProxyUris}); {@link dev.turnout.outbound.provider.ProviderLoader}
 * reads kept copies and downloads new ones; {@link dev.turnout.outbound.provider.ProxyFilter} and
 * {@link dev.turnout.outbound.provider.ProxyOverride} shape what a provider and a group take;
 * {@link dev.turnout.outbound.provider.ProxyProvider} holds the current proxies and tells the
 * groups when they change. Building outbounds from the entries is {@code outbound.config}'s job.
 */
package dev.turnout.outbound.provider;
