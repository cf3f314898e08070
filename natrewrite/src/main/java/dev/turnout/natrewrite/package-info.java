/**
 * The packet side of the data path: the NAT that hands every captured flow to the kernel's own TCP
 * and UDP stack. {@link dev.turnout.natrewrite.TunLoop} reads a packet from a {@link
 * dev.turnout.natrewrite.PacketDevice}, {@link dev.turnout.natrewrite.PacketRewriter} rewrites it
 * in place through header views over the one buffer ({@link dev.turnout.natrewrite.Ipv4Header},
 * {@link dev.turnout.natrewrite.Ipv6Header} and friends, checksums patched by {@link
 * dev.turnout.natrewrite.Checksums}) and the loop writes it back. {@link
 * dev.turnout.natrewrite.NatTable} maps flows to session addresses and back, and answers the
 * relay's question "which flow is this peer?" ({@link dev.turnout.natrewrite.NatFlow}). {@link
 * dev.turnout.natrewrite.FlowFilter} judges a new flow on its first packet; {@link
 * dev.turnout.natrewrite.FlowOffload} is where established flows go to the kernel fast path. No
 * sockets here; the device and the kernel programs are in {@code natrewrite.kernel}. See
 * docs/design.md, "The NAT".
 */
package dev.turnout.natrewrite;
