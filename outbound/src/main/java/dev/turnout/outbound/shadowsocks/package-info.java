/**
 * Shadowsocks AEAD upstream proxies (AES-GCM, ChaCha20-Poly1305): the key schedule, the stream
 * codecs for TCP and the packet codec for UDP, apart from {@code ShadowsocksOutbound}, which dials.
 */
package dev.turnout.outbound.shadowsocks;
