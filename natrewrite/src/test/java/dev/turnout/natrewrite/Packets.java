package dev.turnout.natrewrite;

import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import java.nio.ByteBuffer;

/**
 * Hand-built IPv4 packets and an independent full checksum computation, for tests; public for the
 * kernel package's tests.
 */
public final class Packets {
  static final int ICMP = 1;
  static final int TCP = 6;
  static final int UDP = 17;

  private Packets() {}

  public static int ip(String dotted) {
    return Ipv4.toInt(IpLiterals.parseIpv4(dotted));
  }

  public static ByteBuffer tcp(int src, int sport, int dst, int dport, int flags) {
    return tcp(src, sport, dst, dport, flags, 1000, 0, new byte[0], 0);
  }

  /**
   * An IPv4/TCP packet with correct checksums, {@code ipOptionWords} 32-bit words of IP options
   * (NOPs) and an MSS-like 4-byte TCP option.
   */
  public static ByteBuffer tcp(
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

  /**
   * An IPv4/UDP datagram with a correct IPv4 checksum and, unless {@code zeroChecksum}, a correct
   * UDP checksum; the buffer has 128 spare bytes of capacity after the packet (room for replies).
   */
  public static ByteBuffer udp(
      int src, int sport, int dst, int dport, byte[] payload, boolean zeroChecksum) {
    int total = 20 + 8 + payload.length;
    ByteBuffer b = ByteBuffer.allocate(total + 128);
    b.put(0, (byte) 0x45);
    b.putShort(2, (short) total);
    b.putShort(4, (short) 0x4321);
    b.put(8, (byte) 64);
    b.put(9, (byte) UDP);
    b.putInt(12, src);
    b.putInt(16, dst);
    b.putShort(20, (short) sport);
    b.putShort(22, (short) dport);
    b.putShort(24, (short) (8 + payload.length));
    for (int i = 0; i < payload.length; i++) {
      b.put(28 + i, payload[i]);
    }
    b.putShort(10, (short) ipChecksum(b, 0));
    if (!zeroChecksum) {
      int c = l4Checksum(b, 0, UDP, 6);
      b.putShort(26, (short) (c == 0 ? 0xffff : c));
    }
    b.limit(total);
    return b;
  }

  /** An ICMP echo request with a correct checksum. */
  public static ByteBuffer echoRequest(int src, int dst, int id, int seq, byte[] payload) {
    int total = 20 + 8 + payload.length;
    ByteBuffer b = ByteBuffer.allocate(total);
    b.put(0, (byte) 0x45);
    b.putShort(2, (short) total);
    b.put(8, (byte) 64);
    b.put(9, (byte) ICMP);
    b.putInt(12, src);
    b.putInt(16, dst);
    b.put(20, (byte) 8);
    b.putShort(24, (short) id);
    b.putShort(26, (short) seq);
    for (int i = 0; i < payload.length; i++) {
      b.put(28 + i, payload[i]);
    }
    b.putShort(10, (short) ipChecksum(b, 0));
    b.putShort(22, (short) icmpChecksum(b, 0));
    return b;
  }

  /** The ICMP checksum computed from scratch over the message. */
  public static int icmpChecksum(ByteBuffer b, int base) {
    int ihl = ihl(b, base);
    int length = (b.getShort(base + 2) & 0xffff) - ihl;
    long sum = 0;
    for (int i = 0; i < length; i++) {
      if (i == 2 || i == 3) {
        continue;
      }
      int v = b.get(base + ihl + i) & 0xff;
      sum += (i & 1) == 0 ? v << 8 : v;
    }
    return complement(sum);
  }

  /** The UDP checksum computed from scratch over pseudo header, header and payload. */
  public static int udpChecksum(ByteBuffer b, int base) {
    return l4Checksum(b, base, UDP, 6);
  }

  public static int storedUdpChecksum(ByteBuffer b, int base) {
    return b.getShort(base + ihl(b, base) + 6) & 0xffff;
  }

  private static int l4Checksum(ByteBuffer b, int base, int protocol, int checksumOffset) {
    int ihl = ihl(b, base);
    int total = b.getShort(base + 2) & 0xffff;
    int length = total - ihl;
    long sum = 0;
    for (int i = 12; i < 20; i += 2) {
      sum += b.getShort(base + i) & 0xffff;
    }
    sum += protocol + length;
    int start = base + ihl;
    for (int i = 0; i < length; i++) {
      if (i == checksumOffset || i == checksumOffset + 1) {
        continue;
      }
      int v = b.get(start + i) & 0xff;
      sum += (i & 1) == 0 ? v << 8 : v;
    }
    return complement(sum);
  }

  public static int srcAddress(ByteBuffer b, int base) {
    return b.getInt(base + 12);
  }

  public static int dstAddress(ByteBuffer b, int base) {
    return b.getInt(base + 16);
  }

  public static int ihl(ByteBuffer b, int base) {
    return (b.get(base) & 0x0f) * 4;
  }

  /** The IPv4 header checksum computed from scratch (the stored field treated as zero). */
  public static int ipChecksum(ByteBuffer b, int base) {
    long sum = 0;
    for (int i = 0; i < ihl(b, base); i += 2) {
      if (i != 10) {
        sum += b.getShort(base + i) & 0xffff;
      }
    }
    return complement(sum);
  }

  /** The TCP checksum computed from scratch over pseudo header, header and payload. */
  public static int tcpChecksum(ByteBuffer b, int base) {
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

  public static int storedIpChecksum(ByteBuffer b, int base) {
    return b.getShort(base + 10) & 0xffff;
  }

  public static int storedTcpChecksum(ByteBuffer b, int base) {
    return b.getShort(base + ihl(b, base) + 16) & 0xffff;
  }

  public static int srcPort(ByteBuffer b, int base) {
    return b.getShort(base + ihl(b, base)) & 0xffff;
  }

  public static int dstPort(ByteBuffer b, int base) {
    return b.getShort(base + ihl(b, base) + 2) & 0xffff;
  }

  public static int flags(ByteBuffer b, int base) {
    return b.get(base + ihl(b, base) + 13) & 0xff;
  }

  private static int complement(long sum) {
    while ((sum >>> 16) != 0) {
      sum = (sum & 0xffff) + (sum >>> 16);
    }
    return (int) (~sum & 0xffff);
  }
}
