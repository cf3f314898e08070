/**
 * Reads Clash's {@code proxies:} and {@code proxy-groups:} into outbounds: {@link
 * dev.turnout.outbound.config.OutboundConfig} dispatches each entry to its protocol's {@code
 * ProxyType} and reports every problem with its key; {@link dev.turnout.outbound.config.Outbounds}
 * is the resulting set by name, with DIRECT, REJECT and REJECT-DROP, and its lifecycle. The one
 * package that imports every protocol package; none of them imports it.
 */
package dev.turnout.outbound.config;
