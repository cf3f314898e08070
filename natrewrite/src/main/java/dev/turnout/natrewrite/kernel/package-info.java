/**
 * Everything natrewrite asks of the kernel: the TUN device ({@link
 * dev.turnout.natrewrite.kernel.TunDevice}, ioctls by JNA) and the tc BPF fast path ({@link
 * dev.turnout.natrewrite.kernel.KernelFastPath}): the program, assembled here without a compiler
 * ({@link dev.turnout.natrewrite.kernel.FastPathProgram} on a package-private assembler), its maps,
 * and its attachment by a TCX link or a clsact filter sent over rtnetlink. Only {@code TunDevice}
 * and {@code KernelFastPath} (with what tests need to load and run the program) are public; the
 * bpf(2) and netlink plumbing is not API. Depends on {@code natrewrite} ({@code PacketDevice},
 * {@code FlowOffload}), never the other way. See docs/design.md, "The kernel fast path".
 */
package dev.turnout.natrewrite.kernel;
