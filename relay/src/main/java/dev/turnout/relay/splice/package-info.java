/**
 * The splice(2) relay: a few threads, each with its own epoll set, moving the bytes of connections
 * whose two sides are plain sockets from one socket through a pipe to the other without copying
 * them into user space. Backpressure is the pipe, half-close passes through, idle pairs are closed.
 * It works on duplicated descriptors handed over by {@code relay.tcp}, through netbase's libc
 * binding; it knows nothing of Netty, routing or outbounds.
 */
package dev.turnout.relay.splice;
