/**
 * UDP relaying: {@link dev.turnout.relay.udp.UdpRelay} listens on the TUN address for the datagrams
 * the NAT delivers, keeps one session per flow (routed once, on its first datagram) with a session
 * of the route's {@code UdpOutbound}, and sends the replies back to the flow's session address.
 * Everything runs on one event loop; sessions are bounded in number and expire when idle.
 */
package dev.turnout.relay.udp;
