/**
 * The splice(2) relay: connections whose two sides are plain sockets move their bytes from one
 * socket through a pipe to the other without copying them into user space, on the Netty epoll event
 * loop that accepted and dialed them (the sockets are registered there again as I/O handles of the
 * relay's own). Backpressure is the pipe, half-close passes through, idle pairs are closed. It
 * knows nothing of routing or outbounds: {@code relay.tcp} hands the sockets over.
 */
package dev.turnout.relay.splice;
