/**
 * The HTTP proxy: CONNECT tunnels handed to the relay, and absolute-URI requests forwarded with
 * keep-alive, each routed by its own host. {@code ProxyRequests} rewrites messages and owns no
 * socket; {@code HttpProxyHandler}, {@code Exchange} and {@code Upstream} move them.
 */
package dev.turnout.inbound.http;
