/**
 * TCP relaying: {@link dev.turnout.relay.tcp.RelayServer} listens on the TUN address for the
 * connections the NAT delivers and serves only live NAT sessions ({@code TunAccept}); {@link
 * dev.turnout.relay.tcp.TcpRelay} routes a connection, dials the route's outbound and moves bytes
 * both ways, through Netty with backpressure and half-close ({@code Pipe}) or, for two plain
 * sockets, by handing both to {@code relay.splice}. Any inbound with a known origin (a local proxy
 * listener, say) can hand its connections to the same {@code TcpRelay}.
 */
package dev.turnout.relay.tcp;
