package dev.turnout.natrewrite;

import java.nio.ByteBuffer;

/** Hand-built IPv4/TCP packets and an independent full checksum computation, for tests. */
final class Packets {
  static final int TCP = 6;

  private Packets() {}

  static int ip(String dotted) {
    return Ipv4Range.toInt(Ipv4Range.parseLiteral(dotted));
  }

  static ByteBuffer tcp(int src, int sport, int dst, int dport, int flags) {
    return tcp(src, sport, dst, dport, flags, 1000, 0, new byte[0], 0);
  }

  /**
   * An IPv4/TCP packet with correct checksums, {@code ipOptionWords} 32-bit words of IP options
   * (NOPs) and an MSS-like 4-byte TCP option.
   */
  static ByteBuffer tcp(
      int src,
      int sport,
      int dst,
      int dport,
      int flags,
      int seq,
      int ack,
      byte[] payload,
      int ipOptionWords) {
    int ihl = 20 + 4 * ipOptionWords;
    int tcpHeader = 24;
    int total = ihl + tcpHeader + payload.length;
    ByteBuffer b = ByteBuffer.allocate(total);
    b.put(0, (byte) (0x40 | ihl / 4));
    b.putShort(2, (short) total);
    b.putShort(4, (short) 0x1234);
    b.putShort(6, (short) 0x4000);
    b.put(8, (byte) 64);
    b.put(9, (byte) TCP);
    b.putInt(12, src);
    b.putInt(16, dst);
    for (int i = 20; i < ihl; i++) {
      b.put(i, (byte) 1); // NOP
    }
    b.putShort(ihl, (short) sport);
    b.putShort(ihl + 2, (short) dport);
    b.putInt(ihl + 4, seq);
    b.putInt(ihl + 8, ack);
    b.put(ihl + 12, (byte) ((tcpHeader / 4) << 4));
    b.put(ihl + 13, (byte) flags);
    b.putShort(ihl + 14, (short) 65535);
    b.putInt(ihl + 20, 0x020405b4); // MSS 1460
    for (int i = 0; i < payload.length; i++) {
      b.put(ihl + tcpHeader + i, payload[i]);
    }
    b.putShort(10, (short) ipChecksum(b, 0));
    b.putShort(ihl + 16, (short) tcpChecksum(b, 0));
    return b;
  }

  static int ihl(ByteBuffer b, int base) {
    return (b.get(base) & 0x0f) * 4;
  }

  /** The IPv4 header checksum computed from scratch (the stored field treated as zero). */
  static int ipChecksum(ByteBuffer b, int base) {
    long sum = 0;
    for (int i = 0; i < ihl(b, base); i += 2) {
      if (i != 10) {
        sum += b.getShort(base + i) & 0xffff;
      }
    }
    return complement(sum);
  }

  /** The TCP checksum computed from scratch over pseudo header, header and payload. */
  static int tcpChecksum(ByteBuffer b, int base) {
    int ihl = ihl(b, base);
    int total = b.getShort(base + 2) & 0xffff;
    int tcpLength = total - ihl;
    long sum = 0;
    for (int i = 12; i < 20; i += 2) {
      sum += b.getShort(base + i) & 0xffff;
    }
    sum += TCP + tcpLength;
    int start = base + ihl;
    for (int i = 0; i < tcpLength; i++) {
      if (i == 16 || i == 17) {
        continue;
      }
      int v = b.get(start + i) & 0xff;
      sum += (i & 1) == 0 ? v << 8 : v;
    }
    return complement(sum);
  }

  static int storedIpChecksum(ByteBuffer b, int base) {
    return b.getShort(base + 10) & 0xffff;
  }

  static int storedTcpChecksum(ByteBuffer b, int base) {
    return b.getShort(base + ihl(b, base) + 16) & 0xffff;
  }

  static int srcPort(ByteBuffer b, int base) {
    return b.getShort(base + ihl(b, base)) & 0xffff;
  }

  static int dstPort(ByteBuffer b, int base) {
    return b.getShort(base + ihl(b, base) + 2) & 0xffff;
  }

  static int flags(ByteBuffer b, int base) {
    return b.get(base + ihl(b, base) + 13) & 0xff;
  }

  private static int complement(long sum) {
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }
}
