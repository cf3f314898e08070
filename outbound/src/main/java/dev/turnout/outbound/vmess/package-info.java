/**
 * VMess upstream proxies (AEAD header, {@code alterId: 0}, TCP): the key derivation, the sealed
 * request and response headers and the chunk codec, apart from {@code VmessOutbound}, which dials.
 */
package dev.turnout.outbound.vmess;
