/**
 * Local listeners: {@code mixed-port}, {@code port} (HTTP), {@code socks-port}, {@code redir-port},
 * {@code tproxy-port}, {@code tunnels:} and {@code listeners:} entries. Their clients go through
 * the same router, outbounds and connection list as captured traffic: a protocol handler parses the
 * request and replies, a {@link dev.turnout.inbound.Dispatch} routes, dials and counts. This
 * package holds what the protocol packages share (the listener's configuration, who may use it,
 * counters, UDP flows, UDP carried over a client's stream); {@code socks}, {@code http}, {@code
 * mixed}, {@code shadowsocks}, {@code trojan} and {@code vless} speak the protocols, {@code tunnel}
 * and {@code transparent} take clients with no protocol; {@code listen} owns the sockets.
 */
package dev.turnout.inbound;
