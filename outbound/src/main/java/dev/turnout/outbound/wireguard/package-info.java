/**
 * {@code type: wireguard}: a userspace WireGuard initiator whose plaintext side is a TUN device of
 * Turnout's own, so the kernel's TCP/UDP stack carries connections through it. Codec and state
 * machine without I/O ({@link dev.turnout.outbound.wireguard.Messages}, {@code Handshake}, {@code
 * Keypair}, {@code Tunnel}) apart from the I/O ({@code WireGuardLink}) and the wiring ({@link
 * dev.turnout.outbound.wireguard.WireGuardOutbound}).
 */
package dev.turnout.outbound.wireguard;
