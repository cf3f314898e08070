/**
 * Trojan upstream proxies: TLS to the server, then one request header (hex SHA-224 of the password,
 * command, address) in front of the stream. The header is built apart from the TLS transport.
 */
package dev.turnout.outbound.trojan;
