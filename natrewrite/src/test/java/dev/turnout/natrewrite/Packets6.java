package dev.turnout.natrewrite;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv6;
import java.net.InetAddress;
import java.nio.ByteBuffer;

/**
 * Hand-built IPv6 packets and an independent full checksum computation, for tests; public for the
 * kernel package's tests. An address is a {@code long[] {high, low}}. Every packet may carry {@code
 * extensionWords} 8-byte destination-options headers (PadN) between the IPv6 header and the
 * transport header, and its buffer has 1,400 spare bytes of capacity (room for replies).
 */
public final class Packets6 {
  public static final int TCP = 6;
  public static final int UDP = 17;
  public static final int ICMPV6 = 58;
  static final int DESTINATION_OPTIONS = 60;
  static final int SPARE = 1400;

  private Packets6() {}

  public static long[] ip6(String literal) {
    InetAddress a = IpLiterals.parse(literal);
    return new long[] {Ipv6.high(a), Ipv6.low(a)};
  }

  public static ByteBuffer tcp(long[] src, int sport, long[] dst, int dport, int flags) {
    return tcp(src, sport, dst, dport, flags, 1000, 0, new byte[0], 0);
  }

  /** An IPv6/TCP segment with a correct checksum and an MSS-like 4-byte option. */
  public static ByteBuffer tcp(
      long[] src,
      int sport,
      long[] dst,
      int dport,
      int flags,
      int seq,
      int ack,
      byte[] payload,
      int extensionWords) {
    int tcpHeader = 24;
    ByteBuffer b = header(src, dst, TCP, extensionWords, tcpHeader + payload.length);
    int t = l4(b, 0);
    b.putShort(t, (short) sport);
    b.putShort(t + 2, (short) dport);
    b.putInt(t + 4, seq);
    b.putInt(t + 8, ack);
    b.put(t + 12, (byte) ((tcpHeader / 4) << 4));
    b.put(t + 13, (byte) flags);
    b.putShort(t + 14, (short) 65535);
    b.putInt(t + 20, 0x020405a0); // MSS 1440
    b.put(t + tcpHeader, payload);
    b.putShort(t + 16, (short) transportChecksum(b, 0));
    return b.position(0);
  }

  /** An IPv6/UDP datagram with a correct checksum. */
  public static ByteBuffer udp(
      long[] src, int sport, long[] dst, int dport, byte[] payload, int extensionWords) {
    ByteBuffer b = header(src, dst, UDP, extensionWords, 8 + payload.length);
    int u = l4(b, 0);
    b.putShort(u, (short) sport);
    b.putShort(u + 2, (short) dport);
    b.putShort(u + 4, (short) (8 + payload.length));
    b.put(u + 8, payload);
    int c = transportChecksum(b, 0);
    b.putShort(u + 6, (short) (c == 0 ? 0xffff : c));
    return b.position(0);
  }

  /** An ICMPv6 message of {@code type} with {@code body} after its first four bytes. */
  public static ByteBuffer icmp(long[] src, long[] dst, int type, int code, int rest, byte[] body) {
    ByteBuffer b = header(src, dst, ICMPV6, 0, 8 + body.length);
    b.put(40, (byte) type);
    b.put(41, (byte) code);
    b.putInt(44, rest);
    b.put(48, body);
    b.putShort(42, (short) transportChecksum(b, 0));
    return b.position(0);
  }

  public static ByteBuffer echoRequest(long[] src, long[] dst, int id, int seq, byte[] payload) {
    byte[] body = payload.clone();
    return icmp(src, dst, 128, 0, id << 16 | seq & 0xffff, body);
  }

  private static ByteBuffer header(
      long[] src, long[] dst, int protocol, int extensionWords, int upperLength) {
    int payloadLength = 8 * extensionWords + upperLength;
    ByteBuffer b = ByteBuffer.allocate(40 + payloadLength + SPARE);
    b.putInt(0, 0x6000_0000 | 0x12345); // a flow label, kept as is
    b.putShort(4, (short) payloadLength);
    b.put(6, (byte) (extensionWords > 0 ? DESTINATION_OPTIONS : protocol));
    b.put(7, (byte) 64);
    b.putLong(8, src[0]).putLong(16, src[1]).putLong(24, dst[0]).putLong(32, dst[1]);
    for (int i = 0; i < extensionWords; i++) {
      int at = 40 + 8 * i;
      b.put(at, (byte) (i + 1 < extensionWords ? DESTINATION_OPTIONS : protocol));
      b.put(at + 1, (byte) 0);
      b.put(at + 2, (byte) 1); // PadN of 4 bytes
      b.put(at + 3, (byte) 4);
    }
    b.limit(40 + payloadLength);
    return b;
  }

  /** Offset of the transport header: after the fixed header and any extension headers. */
  public static int l4(ByteBuffer b, int base) {
    int next = b.get(base + 6) & 0xff;
    int at = base + 40;
    while (next == 0 || next == DESTINATION_OPTIONS) {
      next = b.get(at) & 0xff;
      at += ((b.get(at + 1) & 0xff) + 1) * 8;
    }
    return at;
  }

  public static int protocol(ByteBuffer b, int base) {
    int next = b.get(base + 6) & 0xff;
    int at = base + 40;
    while (next == 0 || next == DESTINATION_OPTIONS) {
      next = b.get(at) & 0xff;
      at += ((b.get(at + 1) & 0xff) + 1) * 8;
    }
    return next;
  }

  public static long[] src(ByteBuffer b, int base) {
    return new long[] {b.getLong(base + 8), b.getLong(base + 16)};
  }

  public static long[] dst(ByteBuffer b, int base) {
    return new long[] {b.getLong(base + 24), b.getLong(base + 32)};
  }

  public static int srcPort(ByteBuffer b, int base) {
    return b.getShort(l4(b, base)) & 0xffff;
  }

  public static int dstPort(ByteBuffer b, int base) {
    return b.getShort(l4(b, base) + 2) & 0xffff;
  }

  public static int tcpFlags(ByteBuffer b, int base) {
    return b.get(l4(b, base) + 13) & 0xff;
  }

  /** Where the checksum field of the packet's TCP, UDP or ICMPv6 header is. */
  static int checksumOffset(ByteBuffer b, int base) {
    int protocol = protocol(b, base);
    return l4(b, base) + (protocol == TCP ? 16 : protocol == UDP ? 6 : 2);
  }

  public static int storedChecksum(ByteBuffer b, int base) {
    return b.getShort(checksumOffset(b, base)) & 0xffff;
  }

  /**
   * The TCP, UDP or ICMPv6 checksum computed from scratch over the pseudo header and the whole
   * upper-layer packet, the stored field counted as zero.
   */
  public static int transportChecksum(ByteBuffer b, int base) {
    int start = l4(b, base);
    int end = end(b, base);
    int length = end - start;
    int skip = checksumOffset(b, base) - start;
    long sum = 0;
    for (int i = 8; i < 40; i += 2) {
      sum += b.getShort(base + i) & 0xffff;
    }
    sum += (length >>> 16) + (length & 0xffff) + protocol(b, base);
    for (int i = 0; i < length; i++) {
      if (i == skip || i == skip + 1) {
        continue;
      }
      int v = b.get(start + i) & 0xff;
      sum += (i & 1) == 0 ? v << 8 : v;
    }
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }

  /** The pseudo-header sum a partial (offloaded) checksum field holds, not inverted. */
  public static int partialChecksum(ByteBuffer b, int base) {
    int length = end(b, base) - l4(b, base);
    long sum = 0;
    for (int i = 8; i < 40; i += 2) {
      sum += b.getShort(base + i) & 0xffff;
    }
    sum += (length >>> 16) + (length & 0xffff) + protocol(b, base);
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) sum;
  }

  /**
   * A jumbogram of the segment (as the kernel's BIG TCP hands a device one): an 8-byte hop-by-hop
   * header with the jumbo payload option in front of the TCP header, and payload length 0.
   */
  public static ByteBuffer jumbo(ByteBuffer segment) {
    int upper = segment.limit() - 40;
    ByteBuffer b = ByteBuffer.allocate(segment.limit() + 8);
    for (int i = 0; i < 40; i++) {
      b.put(i, segment.get(i));
    }
    b.putShort(4, (short) 0);
    b.put(6, (byte) 0);
    b.put(40, (byte) TCP);
    b.put(41, (byte) 0);
    b.put(42, (byte) 0xc2); // jumbo payload
    b.put(43, (byte) 4);
    b.putInt(44, upper + 8);
    for (int i = 0; i < upper; i++) {
      b.put(48 + i, segment.get(40 + i));
    }
    return b;
  }

  /** Where the packet ends: by its payload length, or for a jumbogram by the buffer's limit. */
  static int end(ByteBuffer b, int base) {
    int payload = b.getShort(base + 4) & 0xffff;
    return payload == 0 ? b.limit() : base + 40 + payload;
  }

  /** True if the stored transport checksum is what a full recomputation gives. */
  public static boolean checksumValid(ByteBuffer b, int base) {
    int stored = storedChecksum(b, base);
    int full = transportChecksum(b, base);
    // UDP writes a computed 0 as 0xffff; both are one's-complement zero.
    return stored == full || protocol(b, base) == UDP && full == 0 && stored == 0xffff;
  }
}
