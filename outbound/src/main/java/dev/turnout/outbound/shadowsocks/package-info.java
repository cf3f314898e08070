/**
 * Shadowsocks AEAD upstream proxies (AES-GCM, ChaCha20-Poly1305): the key schedule, the stream
 * codecs for TCP and the packet codec for UDP, all bytes only, apart from {@code
 * ShadowsocksOutbound}, which dials the server and wires the codecs.
 */
package dev.turnout.outbound.shadowsocks;
