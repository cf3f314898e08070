/**
 * Trojan upstream proxies: TLS to the server, then one request header (hex SHA-224 of the password,
 * command, address) in front of the stream. {@code TrojanRequest} builds the header as bytes,
 * {@code TrojanHandshake} sends it once TLS is up, and {@code TrojanOutbound} dials and adds TLS.
 */
package dev.turnout.outbound.trojan;
