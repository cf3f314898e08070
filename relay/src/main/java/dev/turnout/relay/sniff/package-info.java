/**
 * Sniffing: the host name a client asks for, read from the first bytes it sends on a TCP connection
 * (a TLS ClientHello's server_name, an HTTP/1.x request's Host), as mihomo's sniffer does, so that
 * rules can match a name where the client connected to a bare address. {@link
 * dev.turnout.relay.sniff.Sniff} is the codec only: it reads a buffer without consuming it and says
 * NAME, NONE or MORE; holding the bytes and deciding when to give up is its caller's.
 */
package dev.turnout.relay.sniff;
