/**
 * VMess upstream proxies (AEAD header, {@code alterId: 0}, TCP): the key derivation, the sealed
 * request and response headers ({@code VmessHeader}) and the chunk codec ({@code VmessCodec}), all
 * bytes only, apart from {@code VmessOutbound}, which dials and installs the codec.
 */
package dev.turnout.outbound.vmess;
