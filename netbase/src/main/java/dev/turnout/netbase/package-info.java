/**
 * The primitives every module shares, so that none of them is written twice: the one parser of IP
 * literals and prefixes ({@link dev.turnout.netbase.IpLiterals}, {@link dev.turnout.netbase.Cidr},
 * {@link dev.turnout.netbase.Ipv4} for addresses held as ints), the fail-closed routing mark on
 * Turnout's own sockets ({@link dev.turnout.netbase.MarkedSockets}), the injectable clock ({@link
 * dev.turnout.netbase.TimeSource}, faked by {@link dev.turnout.netbase.ManualTimeSource}), the one
 * JNA binding of libc ({@link dev.turnout.netbase.LibC}) and the {@link
 * dev.turnout.netbase.HostResolver} contract. A leaf: it imports no other Turnout module.
 */
package dev.turnout.netbase;
