/**
 * SSH upstream proxies ({@code type: ssh}): an SSH client on Netty that does what a proxy needs and
 * no more. {@code PacketCodec} frames and seals packets with an {@code PacketCipher} ({@code
 * AesGcm}, {@code AesCtrHmac}); {@code Kex} runs curve25519-sha256 and derives the keys; {@code
 * HostKeys} checks the server's signature and the pinned keys; {@code UserKey} signs for publickey
 * login; {@code SshSession} runs the connection and its channels, each an {@code SshStream} handed
 * to the relay as one end of a socket pair; {@code SshOutbound} keeps one session per proxy. Only
 * the JDK's cryptography is used.
 */
package dev.turnout.outbound.ssh;
