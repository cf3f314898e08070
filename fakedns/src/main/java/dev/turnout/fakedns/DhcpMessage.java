package dev.turnout.fakedns;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The two DHCPv4 messages (RFC 2131, options per RFC 2132) that finding a network's resolvers
 * needs, apart from any I/O: a DHCPDISCOVER asking for the DNS servers, and the server's DHCPOFFER
 * (or DHCPACK) read for option 6. A DISCOVER commits nothing: a server only offers, and keeps no
 * lease for a client that never requests it. As mihomo's {@code dhcp://} does.
 */
final class DhcpMessage {
  static final int SERVER_PORT = 67;
  static final int CLIENT_PORT = 68;

  private static final int FIXED = 236; // op .. file
  private static final int COOKIE = 0x63825363;
  private static final int MIN_LENGTH = 300; // BOOTP's; some servers drop shorter requests
  private static final int OFFER = 2;
  private static final int ACK = 5;
  private static final int MAX_SERVERS = 8;

  /** What a reply offers: its DNS servers and the lease time in seconds (-1: none given). */
  record Offer(List<Inet4Address> dnsServers, long leaseSeconds) {
    Offer {
      dnsServers = List.copyOf(dnsServers);
    }
  }

  private DhcpMessage() {}

  /**
   * A broadcast DHCPDISCOVER from hardware address {@code mac} (6 bytes) asking for DNS servers.
   */
  static byte[] discover(int xid, byte[] mac) {
    if (mac.length != 6) {
      throw new IllegalArgumentException("an Ethernet address has 6 bytes, not " + mac.length);
    }
    ByteBuffer b = ByteBuffer.allocate(MIN_LENGTH);
    b.put((byte) 1).put((byte) 1).put((byte) 6).put((byte) 0); // BOOTREQUEST, Ethernet
    b.putInt(xid);
    b.putShort((short) 0).putShort((short) 0x8000); // secs; flags: answer by broadcast
    b.position(28); // ciaddr, yiaddr, siaddr, giaddr: zero
    b.put(mac);
    b.position(FIXED); // the rest of chaddr, sname and file: zero
    b.putInt(COOKIE);
    b.put(new byte[] {53, 1, 1}); // DHCPDISCOVER
    b.put(new byte[] {55, 3, 1, 6, 51}); // asks for the netmask, DNS servers, lease time
    b.put(new byte[] {57, 2, 0x05, (byte) 0xdc}); // accepts up to 1500 bytes
    b.put((byte) 255);
    return b.array(); // padded with zeros to 300 bytes
  }

  /**
   * Reads a server's reply to the request {@code xid}: the offer, or null when the datagram is
   * another's (another transaction, a request, not an OFFER or ACK).
   *
   * @throws IllegalArgumentException when the datagram is not a well-formed DHCP message
   */
  static Offer parseReply(byte[] bytes, int xid) {
    if (bytes.length < FIXED + 4) {
      throw new IllegalArgumentException("DHCP message too short: " + bytes.length + " bytes");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    if (b.get(0) != 2 || b.getInt(4) != xid) {
      return null;
    }
    if (b.getInt(FIXED) != COOKIE) {
      throw new IllegalArgumentException("DHCP message without the magic cookie");
    }
    Options options = new Options();
    int overload = options.read(b, FIXED + 4, bytes.length);
    if ((overload & 1) != 0) {
      options.read(b, 108, FIXED); // the file field holds options too
    }
    if ((overload & 2) != 0) {
      options.read(b, 44, 108); // and the sname field
    }
    if (options.type != OFFER && options.type != ACK) {
      return null;
    }
    return new Offer(options.dns, options.lease);
  }

  /** The options this reader needs, gathered over the fields that may hold them. */
  private static final class Options {
    int type = -1;
    long lease = -1;
    final List<Inet4Address> dns = new ArrayList<>();

    /** Reads options in {@code [from, to)}; returns option 52's value (0 when absent). */
    int read(ByteBuffer b, int from, int to) {
      int overload = 0;
      int i = from;
      while (i < to) {
        int code = b.get(i) & 0xff;
        if (code == 0) {
          i++;
          continue;
        }
        if (code == 255) {
          return overload;
        }
        if (i + 1 >= to || i + 2 + (b.get(i + 1) & 0xff) > to) {
          throw new IllegalArgumentException("DHCP option " + code + " runs past the message");
        }
        int length = b.get(i + 1) & 0xff;
        int value = i + 2;
        switch (code) {
          case 53 -> type = length == 1 ? b.get(value) & 0xff : -1;
          case 51 -> lease = length == 4 ? b.getInt(value) & 0xffffffffL : -1;
          case 52 -> overload = length == 1 ? b.get(value) & 3 : 0;
          case 6 -> servers(b, value, length);
          default -> {}
        }
        i = value + length;
      }
      return overload; // no end option: tolerated, as most clients do
    }

    private void servers(ByteBuffer b, int at, int length) {
      if (length == 0 || length % 4 != 0) {
        throw new IllegalArgumentException("DHCP option 6 has " + length + " bytes");
      }
      for (int j = at; j < at + length && dns.size() < MAX_SERVERS; j += 4) {
        byte[] a = new byte[4];
        b.get(j, a);
        if (b.getInt(j) == 0 || b.getInt(j) == -1) {
          continue; // 0.0.0.0 and 255.255.255.255 are no servers
        }
        try {
          Inet4Address server = (Inet4Address) InetAddress.getByAddress(a);
          if (!dns.contains(server)) {
            dns.add(server);
          }
        } catch (UnknownHostException e) {
          throw new IllegalStateException("4 bytes are an IPv4 address", e);
        }
      }
    }
  }
}
