/**
 * SOCKS5 upstream proxies (RFC 1928, RFC 1929): CONNECT for TCP, UDP ASSOCIATE for datagrams, and
 * the SOCKS5 address encoding that Shadowsocks and Trojan reuse. {@code Socks5Handshake} (over
 * Netty's codec-socks messages), {@code Socks5DatagramCodec} and {@code SocksAddress} turn bytes
 * into messages and back and own no socket; {@code Socks5Outbound} and {@code Socks5UdpAssociation}
 * dial and wire them.
 */
package dev.turnout.outbound.socks;
