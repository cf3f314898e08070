package dev.turnout.natrewrite.kernel;

import static dev.turnout.natrewrite.kernel.BpfAssembler.B;
import static dev.turnout.natrewrite.kernel.BpfAssembler.DW;
import static dev.turnout.natrewrite.kernel.BpfAssembler.H;
import static dev.turnout.natrewrite.kernel.BpfAssembler.JEQ;
import static dev.turnout.natrewrite.kernel.BpfAssembler.JGT;
import static dev.turnout.natrewrite.kernel.BpfAssembler.JNE;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R0;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R1;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R10;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R2;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R3;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R4;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R5;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R6;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R7;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R8;
import static dev.turnout.natrewrite.kernel.BpfAssembler.R9;
import static dev.turnout.natrewrite.kernel.BpfAssembler.W;

/**
 * The TUN's kernel fast path, as a tc program for the device's egress: a TCP segment (or UDP
 * datagram, with maps of its own) the kernel is about to queue to Turnout whose 4-tuple is in the
 * flow map gets the addresses and ports the map gives, checksums patched by the kernel's helpers,
 * and is handed straight back to the same device's ingress, exactly as if Turnout had read,
 * rewritten and written it. Everything else (SYNs without ACK, which user space judges and maps;
 * other protocols; IP options; fragments; unknown flows; FIN and RST of forwarded flows, below)
 * passes to the TUN queue unchanged, so the maps are only a cache of the user-space NAT and a miss
 * is never wrong.
 *
 * <p>IPv4 flow map: key and value are both the 12 bytes at offset 12 of an IPv4 header without
 * options followed by its TCP ports — source address, destination address, source port, destination
 * port, in network byte order — the key as the segment arrives, the value as it must leave. IPv6
 * flow map: the same for the 36 bytes of 16-byte addresses (offset 8 of the IPv6 header) and TCP
 * ports, where TCP follows the IPv6 header directly or after the 8-byte hop-by-hop header of a
 * jumbogram (other extension headers pass). IPv6 has no header checksum; the TCP checksum takes the
 * 32 bytes of address change as one {@code bpf_csum_diff} applied to the pseudo header, then the
 * ports. Stats map: a per-CPU array whose entry 0 is a {packets, bytes} pair of 64-bit counters of
 * all rewritten segments and datagrams, for both families (entries 1 and 2: below).
 *
 * <p>UDP has its own two flow maps, laid out the same (a TCP and a UDP flow may share a tuple):
 * every datagram of a mapped tuple is rewritten (UDP has no SYN), IPv6 UDP only right after the
 * IPv6 header; a checksum of 0 (none, IPv4) stays 0 ({@code BPF_F_MARK_MANGLED_0}), and one that
 * comes out 0 becomes 0xffff, as RFC 768 wants.
 *
 * <p>Forwarded map: IPv4 TCP flows the kernel forwards to their real destination (not to the
 * relay), laid out as the IPv4 flow map. It is looked up only when the flow map misses, so a tuple
 * in both is rewritten as the flow map says. User space must see each forwarded flow established
 * (its SYN-ACK) and ended (its FINs or a RST): with an event ring (a BPF ring buffer), a hit
 * carrying SYN (with ACK: a bare SYN never gets here), FIN or RST is written there as an event —
 * the segment's own 12-byte tuple, its flags byte, the direction byte, 2 bytes of 0 — and then
 * rewritten like any other; without one, or when the ring is full, it passes unchanged to the TUN.
 * (A relayed flow's SYN-ACK, FIN and RST stay in the kernel: its life shows at the relay's socket.)
 * A hit is rewritten exactly as a flow map hit. Since no relay counts a forwarded flow's bytes, the
 * program does: a forwarded map value is the 12-byte new tuple, a 32-bit direction ({@value
 * #TOWARD_DESTINATION} toward the destination, {@value #TOWARD_APP} toward the app) and, at offset
 * {@value #FORWARDED_BYTES}, a 64-bit count of the TCP payload bytes rewritten for that tuple,
 * added to atomically (a flow's segments may run on several CPUs at once); and the stats map's
 * entries 1 and 2 count {segments, payload bytes} of all forwarded flows toward their destinations
 * and toward their apps. Payload is the segment's length less its headers, so a GSO segment counts
 * whole.
 */
final class FastPathProgram {
  public static final int TUPLE_SIZE = 12;
  public static final int TUPLE6_SIZE = 36;
  public static final int STATS_SIZE = 16;

  /** The stats map's entries: rewritten segments, then forwarded payload by direction. */
  public static final int STATS_ENTRIES = 3;

  /** A forwarded map value: the new tuple, its direction, its payload bytes so far. */
  public static final int FORWARDED_VALUE_SIZE = 24;

  public static final int FORWARDED_DIRECTION = 12;
  public static final int FORWARDED_BYTES = 16;
  public static final int TOWARD_DESTINATION = 0;
  public static final int TOWARD_APP = 1;

  /** Return codes of a tc program. */
  public static final int PASS = 0;

  public static final int DROP = 2;
  public static final int REDIRECT = 7;

  private static final int HELPER_MAP_LOOKUP = 1;
  private static final int HELPER_SKB_STORE_BYTES = 9;
  private static final int HELPER_L3_CSUM_REPLACE = 10;
  private static final int HELPER_L4_CSUM_REPLACE = 11;
  private static final int HELPER_REDIRECT = 23;
  private static final int HELPER_CSUM_DIFF = 28;
  private static final int HELPER_RINGBUF_OUTPUT = 130;
  private static final int RB_NO_WAKEUP = 1; // the reader polls the ring; no wake-up per event
  private static final int F_PSEUDO_HDR = 0x10;
  private static final int F_MARK_MANGLED_0 = 0x20; // a UDP checksum of 0 (none) stays 0
  private static final int F_INGRESS = 1;

  // struct __sk_buff
  private static final int SKB_LEN = 0;
  private static final int SKB_MARK = 8;
  private static final int SKB_IFINDEX = 40;
  private static final int SKB_DATA = 76;
  private static final int SKB_DATA_END = 80;

  // Offsets from the IPv4 header, which has no options here (IHL 5).
  private static final int IP_FRAGMENT = 6;
  private static final int IP_PROTOCOL = 9;
  private static final int IP_CHECKSUM = 10;
  private static final int IP_ADDRESSES = 12;
  private static final int TCP = 20;
  private static final int TCP_DATA_OFFSET = TCP + 12; // its upper 4 bits, in 32-bit words
  private static final int TCP_FLAGS = TCP + 13;
  private static final int TCP_CHECKSUM = TCP + 16;
  private static final int TCP_MIN_END = TCP + 20;
  private static final int VERSION_4_IHL_5 = 0x45;
  private static final int PROTOCOL_TCP = 6;
  private static final int PROTOCOL_UDP = 17;
  private static final int UDP_CHECKSUM_OFFSET = 6;
  private static final int TCP_FIN = 0x01;
  private static final int TCP_SYN = 0x02;
  private static final int TCP_RST = 0x04;
  private static final int SYN_ACK_RST = TCP_SYN | 0x10 | TCP_RST; // a new flow: SYN alone

  /** MF and the fragment offset, as a little-endian load of the big-endian field sees them. */
  private static final int FRAGMENT_BITS_LE = 0xff3f;

  // The stack: the segment's own tuple (the lookup key and the old values), and the stats key.
  private static final int OLD_SOURCE = -16;
  private static final int OLD_DESTINATION = -12;
  private static final int OLD_PORTS = -8;
  private static final int STATS_KEY = -20;
  private static final int EVENT_FLAGS = -4; // an event: the tuple at OLD_SOURCE, then these 4
  private static final int EVENT_DIRECTION = -3;
  private static final int EVENT_PAD = -2;

  /** An event in the ring: the tuple as it arrived, the TCP flags, the direction, 2 zero bytes. */
  public static final int EVENT_SIZE = 16;

  private static final int OLD_TUPLE6 = -60; // 36 bytes: addresses, then ports at -28
  private static final int OLD_PORTS6 = OLD_TUPLE6 + 32;

  // Offsets from the IPv6 header, and within a TCP header.
  private static final int IP6_NEXT_HEADER = 6;
  private static final int IP6_ADDRESSES = 8;
  private static final int TCP6 = 40;
  private static final int JUMBO_HEADER = 8; // hop-by-hop: next header, length 0, jumbo option
  private static final int HOP_BY_HOP = 0;
  private static final int TCP_FLAGS_OFFSET = 13;
  private static final int TCP_CHECKSUM_OFFSET = 16;
  private static final int TCP_MIN_LENGTH = 20;
  private static final int VERSION_MASK = 0xf0;
  private static final int VERSION_6 = 0x60;

  private FastPathProgram() {}

  /**
   * The program's instructions.
   *
   * @param networkOffset where the IPv4 header starts in the packet: 0 on a TUN, 14 for an Ethernet
   *     frame (as in a test run)
   * @param flowMapFd the IPv4 flow map (hash, 12-byte keys and values)
   * @param flow6MapFd the IPv6 flow map (hash, 36-byte keys and values)
   * @param udpMapFd the IPv4 UDP flow map (as {@code flowMapFd}, for UDP ports)
   * @param udp6MapFd the IPv6 UDP flow map (as {@code flow6MapFd}, for UDP ports)
   * @param forwardedMapFd the IPv4 map of forwarded TCP flows (12-byte keys as {@code flowMapFd},
   *     {@value #FORWARDED_VALUE_SIZE}-byte values)
   * @param statsMapFd the stats map (per-CPU array, {@value #STATS_ENTRIES} 16-byte values)
   * @param ringFd the event ring of forwarded flows' SYN-ACKs, FINs and RSTs (a BPF ring buffer),
   *     or -1 for none: they then pass to the TUN
   */
  public static byte[] build(
      int networkOffset,
      int flowMapFd,
      int flow6MapFd,
      int udpMapFd,
      int udp6MapFd,
      int forwardedMapFd,
      int statsMapFd,
      int ringFd) {
    int ip = networkOffset;
    BpfAssembler a = new BpfAssembler();
    BpfAssembler.Label pass = a.label();
    BpfAssembler.Label drop = a.label();
    BpfAssembler.Label redirect = a.label();
    BpfAssembler.Label rewritten = a.label();
    BpfAssembler.Label ipv6 = a.label();
    BpfAssembler.Label udp = a.label();

    a.movReg(R6, R1);
    a.load(W, R2, R6, SKB_DATA).load(W, R3, R6, SKB_DATA_END);
    a.movReg(R1, R2).add(R1, ip + TCP_MIN_END).jumpReg(JGT, R1, R3, pass);
    a.load(B, R1, R2, ip).jump(JNE, R1, VERSION_4_IHL_5, ipv6);
    a.load(H, R1, R2, ip + IP_FRAGMENT).and(R1, FRAGMENT_BITS_LE).jump(JNE, R1, 0, pass);
    a.load(B, R1, R2, ip + IP_PROTOCOL).jump(JEQ, R1, PROTOCOL_UDP, udp);
    a.jump(JNE, R1, PROTOCOL_TCP, pass);
    // R9 keeps the payload length (0 if the header claims more than the packet holds), which a
    // forwarded flow counts.
    BpfAssembler.Label sized = a.label();
    a.load(W, R9, R6, SKB_LEN).add(R9, -(ip + TCP));
    a.load(B, R1, R2, ip + TCP_DATA_OFFSET).and(R1, 0xf0).rsh(R1, 2).subReg(R9, R1);
    a.movReg(R1, R9).rsh(R1, 31).jump(JEQ, R1, 0, sized).mov(R9, 0).bind(sized);
    // R8 keeps the flags across the lookups (helpers clobber R1-R5, and with them the packet).
    // A SYN may start a new flow over an old one's tuple: only user space may map it. A SYN-ACK
    // (the relay listener answering a mapped SYN) is rewritten like any segment, as user space
    // would: the application's connect() should not wait for the TUN thread.
    a.load(B, R8, R2, ip + TCP_FLAGS).movReg(R1, R8);
    a.and(R1, SYN_ACK_RST).jump(JEQ, R1, TCP_SYN, pass);
    BpfAssembler.Label tcpHit = a.label();
    ipv4Lookup(a, ip, flowMapFd);
    a.jump(JNE, R0, 0, tcpHit);
    // Not relayed: maybe forwarded, whose SYN-ACK, FIN and RST user space must see to know the
    // flow established and ended (a relayed flow's life shows at the relay's socket): as events
    // in the ring, or else as the segments themselves.
    int lifecycle = TCP_SYN | TCP_FIN | TCP_RST;
    if (ringFd < 0) {
      a.movReg(R1, R8).and(R1, lifecycle).jump(JNE, R1, 0, pass);
    }
    a.loadMap(R1, forwardedMapFd).movReg(R2, R10).add(R2, OLD_SOURCE).call(HELPER_MAP_LOOKUP);
    a.jump(JEQ, R0, 0, pass);
    a.movReg(R7, R0);
    if (ringFd >= 0) {
      BpfAssembler.Label told = a.label();
      a.movReg(R1, R8).and(R1, lifecycle).jump(JEQ, R1, 0, told);
      a.store(B, R10, EVENT_FLAGS, R8);
      a.load(W, R1, R7, FORWARDED_DIRECTION).store(B, R10, EVENT_DIRECTION, R1);
      a.storeImm(H, R10, EVENT_PAD, 0);
      a.loadMap(R1, ringFd).movReg(R2, R10).add(R2, OLD_SOURCE);
      a.mov(R3, EVENT_SIZE).mov(R4, RB_NO_WAKEUP).call(HELPER_RINGBUF_OUTPUT);
      a.jump(JNE, R0, 0, pass); // the ring is full: the TUN takes it, as without one
      a.bind(told);
    }
    BpfAssembler.Label counted = a.label();
    a.atomicAdd(DW, R7, FORWARDED_BYTES, R9);
    a.load(W, R1, R7, FORWARDED_DIRECTION).add(R1, 1).store(W, R10, STATS_KEY, R1);
    a.loadMap(R1, statsMapFd).movReg(R2, R10).add(R2, STATS_KEY).call(HELPER_MAP_LOOKUP);
    a.jump(JEQ, R0, 0, counted);
    a.load(DW, R1, R0, 0).add(R1, 1).store(DW, R0, 0, R1);
    a.load(DW, R1, R0, 8).addReg(R1, R9).store(DW, R0, 8, R1);
    a.bind(counted).movReg(R0, R7);
    a.bind(tcpHit);
    ipv4Rewrite(a, ip, TCP_CHECKSUM, 0, drop);

    // A packet written to the TUN carries no mark; neither may this one (mark-based ip rules).
    a.bind(rewritten);
    a.mov(R1, 0).store(W, R6, SKB_MARK, R1);

    a.storeImm(W, R10, STATS_KEY, 0);
    a.loadMap(R1, statsMapFd).movReg(R2, R10).add(R2, STATS_KEY).call(HELPER_MAP_LOOKUP);
    a.jump(JEQ, R0, 0, redirect);
    a.load(DW, R1, R0, 0).add(R1, 1).store(DW, R0, 0, R1);
    a.load(W, R1, R6, SKB_LEN).load(DW, R2, R0, 8).addReg(R2, R1).store(DW, R0, 8, R2);

    a.bind(redirect);
    a.load(W, R1, R6, SKB_IFINDEX).mov(R2, F_INGRESS).call(HELPER_REDIRECT).exit();

    // IPv4 UDP (the bounds were checked for a TCP header, which is longer: a datagram of fewer
    // than 12 payload bytes takes the TUN).
    a.bind(udp);
    ipv4Lookup(a, ip, udpMapFd);
    a.jump(JEQ, R0, 0, pass);
    ipv4Rewrite(a, ip, TCP + UDP_CHECKSUM_OFFSET, F_MARK_MANGLED_0, drop);
    a.jump(rewritten);

    // IPv6: R1 holds the first byte, R2 and R3 the packet bounds. TCP follows the IPv6 header,
    // or the 8-byte hop-by-hop header of a jumbogram: the kernel's TCP hands the device GSO
    // segments of more than 64 KiB that way (BIG TCP) when it may.
    BpfAssembler.Label jumbo = a.label();
    a.bind(ipv6);
    a.and(R1, VERSION_MASK).jump(JNE, R1, VERSION_6, pass);
    a.movReg(R1, R2).add(R1, ip + TCP6 + TCP_MIN_LENGTH).jumpReg(JGT, R1, R3, pass);
    BpfAssembler.Label udp6 = a.label();
    a.load(B, R1, R2, ip + IP6_NEXT_HEADER).jump(JEQ, R1, PROTOCOL_UDP, udp6);
    a.jump(JNE, R1, PROTOCOL_TCP, jumbo);
    ipv6Tcp(a, ip, ip + TCP6, flow6MapFd, pass, drop, rewritten);
    a.bind(udp6);
    ipv6(a, ip, ip + TCP6, udp6MapFd, UDP_CHECKSUM_OFFSET, F_MARK_MANGLED_0, pass, drop);
    a.jump(rewritten);
    a.bind(jumbo).jump(JNE, R1, HOP_BY_HOP, pass);
    int tcp = ip + TCP6 + JUMBO_HEADER;
    a.movReg(R1, R2).add(R1, tcp + TCP_MIN_LENGTH).jumpReg(JGT, R1, R3, pass);
    a.load(H, R1, R2, ip + TCP6).jump(JNE, R1, PROTOCOL_TCP, pass); // next TCP, length 0 (LE)
    ipv6Tcp(a, ip, tcp, flow6MapFd, pass, drop, rewritten);

    a.bind(pass).mov(R0, PASS).exit();
    a.bind(drop).mov(R0, DROP).exit();
    return a.assemble();
  }

  /**
   * Copies the tuple of an IPv4 TCP segment or UDP datagram (its ports at offset 20 of the IPv4
   * header) to the stack and looks it up in {@code mapFd}: R0 is then the new tuple, or 0. The
   * tuple stays on the stack, the key of any further lookup.
   */
  private static void ipv4Lookup(BpfAssembler a, int ip, int mapFd) {
    a.load(W, R1, R2, ip + IP_ADDRESSES).store(W, R10, OLD_SOURCE, R1);
    a.load(W, R1, R2, ip + IP_ADDRESSES + 4).store(W, R10, OLD_DESTINATION, R1);
    a.load(W, R1, R2, ip + TCP).store(W, R10, OLD_PORTS, R1);
    a.loadMap(R1, mapFd).movReg(R2, R10).add(R2, OLD_SOURCE).call(HELPER_MAP_LOOKUP);
  }

  /**
   * The IPv4 rewrite to the new tuple R0 points at, of the segment or datagram whose old tuple
   * {@link #ipv4Lookup} left on the stack (its checksum at {@code checksum}): patch the checksums
   * while the old values are known (the helpers handle both a complete checksum and the
   * pseudo-header sum of a CHECKSUM_PARTIAL segment: TUN offload), write the new tuple; falls
   * through when done. Reads nothing through the packet pointers, which a lookup clobbered.
   */
  private static void ipv4Rewrite(
      BpfAssembler a, int ip, int checksum, int l4Flags, BpfAssembler.Label drop) {
    a.movReg(R7, R0);
    int pseudo = F_PSEUDO_HDR | l4Flags | 4;
    int field = ip + checksum;
    replace(a, HELPER_L3_CSUM_REPLACE, ip + IP_CHECKSUM, OLD_SOURCE, 0, 4, drop);
    replace(a, HELPER_L3_CSUM_REPLACE, ip + IP_CHECKSUM, OLD_DESTINATION, 4, 4, drop);
    replace(a, HELPER_L4_CSUM_REPLACE, field, OLD_SOURCE, 0, pseudo, drop);
    replace(a, HELPER_L4_CSUM_REPLACE, field, OLD_DESTINATION, 4, pseudo, drop);
    replace(a, HELPER_L4_CSUM_REPLACE, field, OLD_PORTS, 8, l4Flags | 4, drop);
    a.movReg(R1, R6).mov(R2, ip + IP_ADDRESSES).movReg(R3, R7).mov(R4, TUPLE_SIZE).mov(R5, 0);
    a.call(HELPER_SKB_STORE_BYTES).jump(JNE, R0, 0, drop);
  }

  /** The IPv6 rewrite of a TCP segment whose header is at {@code tcp}, as {@link #ipv6}. */
  private static void ipv6Tcp(
      BpfAssembler a,
      int ip,
      int tcp,
      int flow6MapFd,
      BpfAssembler.Label pass,
      BpfAssembler.Label drop,
      BpfAssembler.Label rewritten) {
    a.load(B, R1, R2, tcp + TCP_FLAGS_OFFSET).and(R1, SYN_ACK_RST).jump(JEQ, R1, TCP_SYN, pass);
    ipv6(a, ip, tcp, flow6MapFd, TCP_CHECKSUM_OFFSET, 0, pass, drop);
    a.jump(rewritten);
  }

  /**
   * The IPv6 rewrite of a TCP segment or UDP datagram whose header is at {@code l4}: look its tuple
   * up, patch the checksum with the addresses' change (one {@code bpf_csum_diff}, to the pseudo
   * header) and the ports', write the new tuple; falls through when done. R2 and R3 hold the packet
   * bounds, checked up to the end of a minimal TCP header.
   */
  private static void ipv6(
      BpfAssembler a,
      int ip,
      int l4,
      int mapFd,
      int checksumOffset,
      int l4Flags,
      BpfAssembler.Label pass,
      BpfAssembler.Label drop) {
    for (int i = 0; i < 32; i += 4) {
      a.load(W, R1, R2, ip + IP6_ADDRESSES + i).store(W, R10, OLD_TUPLE6 + i, R1);
    }
    a.load(W, R1, R2, l4).store(W, R10, OLD_PORTS6, R1);
    a.loadMap(R1, mapFd).movReg(R2, R10).add(R2, OLD_TUPLE6).call(HELPER_MAP_LOOKUP);
    a.jump(JEQ, R0, 0, pass);
    a.movReg(R7, R0);
    a.movReg(R1, R10).add(R1, OLD_TUPLE6).mov(R2, 32).movReg(R3, R7).mov(R4, 32).mov(R5, 0);
    a.call(HELPER_CSUM_DIFF);
    int checksum = l4 + checksumOffset;
    a.movReg(R4, R0).movReg(R1, R6).mov(R2, checksum).mov(R3, 0).mov(R5, F_PSEUDO_HDR | l4Flags);
    a.call(HELPER_L4_CSUM_REPLACE).jump(JNE, R0, 0, drop);
    replace(a, HELPER_L4_CSUM_REPLACE, checksum, OLD_PORTS6, 32, l4Flags | 4, drop);
    a.movReg(R1, R6).mov(R2, ip + IP6_ADDRESSES).movReg(R3, R7).mov(R4, 32).mov(R5, 0);
    a.call(HELPER_SKB_STORE_BYTES).jump(JNE, R0, 0, drop);
    a.movReg(R1, R6).mov(R2, l4).movReg(R3, R7).add(R3, 32).mov(R4, 4).mov(R5, 0);
    a.call(HELPER_SKB_STORE_BYTES).jump(JNE, R0, 0, drop);
  }

  /**
   * A stats map entry's two counters, summed over the per-CPU values a lookup of it returns (one
   * {@value #STATS_SIZE}-byte pair per possible CPU, in native byte order).
   */
  public static long[] sumStats(byte[] perCpuValues) {
    java.nio.ByteBuffer b =
        java.nio.ByteBuffer.wrap(perCpuValues).order(java.nio.ByteOrder.nativeOrder());
    long[] sums = new long[2];
    for (int at = 0; at + STATS_SIZE <= perCpuValues.length; at += STATS_SIZE) {
      sums[0] += b.getLong(at);
      sums[1] += b.getLong(at + 8);
    }
    return sums;
  }

  /**
   * helper(skb, field, old value from the stack, new value from the map, flags); on error, drop.
   */
  private static void replace(
      BpfAssembler a,
      int helper,
      int field,
      int oldSlot,
      int newOffset,
      int flags,
      BpfAssembler.Label drop) {
    a.movReg(R1, R6).mov(R2, field).load(W, R3, R10, oldSlot).load(W, R4, R7, newOffset);
    a.mov(R5, flags).call(helper).jump(JNE, R0, 0, drop);
  }
}
