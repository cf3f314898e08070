/**
 * Outbounds: the policies that carry a connection out of Turnout (DIRECT, REJECT, upstream proxies
 * and groups), and what they share. {@link dev.turnout.outbound.Outbound} and {@link
 * dev.turnout.outbound.UdpOutbound} are the API the relay uses; {@link dev.turnout.outbound.Dialer}
 * opens every socket (resolver, Happy Eyeballs, routing mark, forbidden ranges); {@link
 * dev.turnout.outbound.ProxyOutbound} reaches a proxy server, opens its {@link
 * dev.turnout.outbound.Transport} (TLS, WebSocket, gRPC, ...) and lets its protocol package run the
 * handshake (see outbound/README.md); {@link dev.turnout.outbound.config.OutboundConfig} reads
 * Clash's {@code proxies:} and {@code proxy-groups:} and dispatches each entry to its protocol's
 * {@link dev.turnout.outbound.ProxyType}. Each protocol lives in a subpackage built on this one;
 * only {@code outbound.config}, which assembles them, imports the protocol packages.
 */
package dev.turnout.outbound;
