/**
 * SOCKS servers for local clients: SOCKS5 (RFC 1928) with username/password (RFC 1929), CONNECT and
 * UDP ASSOCIATE, and SOCKS4/4a CONNECT. {@code Socks5Server} and {@code Socks4Server} drive Netty's
 * codec-socks messages and reply; {@code SocksUdpHeader} frames datagrams; none of them owns a
 * socket. {@code UdpAssociations} owns the UDP socket of a listener and its associations.
 */
package dev.turnout.inbound.socks;
