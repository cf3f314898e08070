/**
 * Connections a firewall rule turned to a listener (mihomo's {@code redir-port} and {@code
 * tproxy-port}): no protocol, the destination is where the client was going.
 */
package dev.turnout.inbound.transparent;
