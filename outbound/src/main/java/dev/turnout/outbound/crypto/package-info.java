/**
 * Authenticated encryption shared by the encrypting protocols (Shadowsocks, VMess): one direction
 * of an AEAD stream over the JDK's AES-GCM and ChaCha20-Poly1305. Bytes only, no I/O.
 */
package dev.turnout.outbound.crypto;
