package dev.turnout.fakedns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.turnout.netbase.IpLiterals;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** The DISCOVER Turnout sends and the OFFERs servers send back, byte by byte (RFC 2131, 2132). */
class DhcpMessageTest {
  private static final byte[] MAC = HexFormat.ofDelimiter(":").parseHex("02:00:5e:10:00:01");
  private static final int XID = 0x1234abcd;

  @Test
  void discoverIsABroadcastBootRequestAskingForNameservers() {
    byte[] d = DhcpMessage.discover(XID, MAC);
    ByteBuffer b = ByteBuffer.wrap(d);
    assertThat(d).hasSize(300);
    assertThat(b.get(0)).isEqualTo((byte) 1); // BOOTREQUEST
    assertThat(b.get(1)).isEqualTo((byte) 1); // Ethernet
    assertThat(b.get(2)).isEqualTo((byte) 6);
    assertThat(b.getInt(4)).isEqualTo(XID);
    assertThat(b.getShort(10)).isEqualTo((short) 0x8000); // broadcast flag
    assertThat(b.getInt(12)).isZero(); // ciaddr: the client claims no address
    byte[] chaddr = new byte[6];
    b.get(28, chaddr);
    assertThat(chaddr).isEqualTo(MAC);
    assertThat(b.getInt(236)).isEqualTo(0x63825363);
    assertThat(HexFormat.of().formatHex(d, 240, 253))
        .isEqualTo("350101" + "3703010633" + "390205dc" + "ff");
    assertThatThrownBy(() -> DhcpMessage.discover(XID, new byte[8]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** A reply as dnsmasq writes it: type, server id, lease, netmask, router, DNS, end. */
  private static byte[] offer(int xid, int type, String options) {
    byte[] fixed = new byte[240];
    ByteBuffer b = ByteBuffer.wrap(fixed);
    b.put(0, (byte) 2).put(1, (byte) 1).put(2, (byte) 6).putInt(4, xid);
    b.putInt(16, 0xcb007164); // yiaddr 203.0.113.100
    b.putInt(236, 0x63825363);
    byte[] opts = HexFormat.of().parseHex(String.format("3501%02x", type) + options);
    byte[] all = new byte[fixed.length + opts.length];
    System.arraycopy(fixed, 0, all, 0, fixed.length);
    System.arraycopy(opts, 0, all, fixed.length, opts.length);
    return all;
  }

  private static final String DNS_TWO = "0608" + "c6336435" + "cb007101"; // 198.51.100.53, .113.1
  private static final String LEASE_2M = "330400000078"; // 120 s

  @Test
  void anOfferGivesItsNameserversAndLease() {
    DhcpMessage.Offer o =
        DhcpMessage.parseReply(offer(XID, 2, "3604cb007101" + LEASE_2M + DNS_TWO + "ff"), XID);
    assertThat(o.dnsServers())
        .containsExactly(
            (java.net.Inet4Address) IpLiterals.parseOrNull("198.51.100.53"),
            (java.net.Inet4Address) IpLiterals.parseOrNull("203.0.113.1"));
    assertThat(o.leaseSeconds()).isEqualTo(120);
    assertThat(DhcpMessage.parseReply(offer(XID, 5, DNS_TWO + "ff"), XID).leaseSeconds())
        .isEqualTo(-1); // an ACK does as well
    // padding, and no end option (tolerated)
    assertThat(DhcpMessage.parseReply(offer(XID, 2, "0000" + DNS_TWO), XID).dnsServers())
        .hasSize(2);
    // 0.0.0.0 and duplicates are no servers
    assertThat(
            DhcpMessage.parseReply(offer(XID, 2, "060c" + "00000000c6336435c6336435ff"), XID)
                .dnsServers())
        .containsExactly((java.net.Inet4Address) IpLiterals.parseOrNull("198.51.100.53"));
    assertThat(DhcpMessage.parseReply(offer(XID, 2, LEASE_2M + "ff"), XID).dnsServers()).isEmpty();
  }

  @Test
  void repliesToOthersAndOtherTypesAreNotOurs() {
    assertThat(DhcpMessage.parseReply(offer(XID + 1, 2, DNS_TWO), XID)).isNull();
    assertThat(DhcpMessage.parseReply(offer(XID, 6, DNS_TWO), XID)).isNull(); // NAK
    byte[] request = offer(XID, 2, DNS_TWO);
    request[0] = 1;
    assertThat(DhcpMessage.parseReply(request, XID)).isNull();
  }

  /** Option 52 moves options into the file and sname fields; they are read there too. */
  @Test
  void overloadedFieldsAreRead() {
    byte[] m = offer(XID, 2, "340101" + "ff");
    byte[] inFile = HexFormat.of().parseHex(DNS_TWO + "ff");
    System.arraycopy(inFile, 0, m, 108, inFile.length);
    assertThat(DhcpMessage.parseReply(m, XID).dnsServers()).hasSize(2);
  }

  @Test
  void malformedRepliesAreErrors() {
    assertThatThrownBy(() -> DhcpMessage.parseReply(new byte[100], XID))
        .hasMessageContaining("too short");
    byte[] noCookie = offer(XID, 2, DNS_TWO);
    noCookie[236] = 0;
    assertThatThrownBy(() -> DhcpMessage.parseReply(noCookie, XID))
        .hasMessageContaining("magic cookie");
    assertThatThrownBy(() -> DhcpMessage.parseReply(offer(XID, 2, "0608c6336435"), XID))
        .hasMessageContaining("runs past");
    assertThatThrownBy(() -> DhcpMessage.parseReply(offer(XID, 2, "0603c63364ff"), XID))
        .hasMessageContaining("option 6 has 3 bytes");
  }

  @Test
  void everyTruncationOfAnOfferIsAnErrorOrAnAnswerNeverAnotherException() {
    byte[] full = offer(XID, 2, "3604cb007101" + LEASE_2M + DNS_TWO + "ff");
    for (int n = 0; n < full.length; n++) {
      byte[] cut = java.util.Arrays.copyOf(full, n);
      try {
        DhcpMessage.parseReply(cut, XID);
      } catch (IllegalArgumentException expected) {
        // counted as malformed by the caller
      }
    }
  }

  @Test
  void refreshIsHalfTheLeaseWithinAMinuteAndAnHour() {
    assertThat(DhcpSource.refresh(120)).isEqualTo(Duration.ofMinutes(1));
    assertThat(DhcpSource.refresh(3_600)).isEqualTo(Duration.ofMinutes(30));
    assertThat(DhcpSource.refresh(86_400)).isEqualTo(Duration.ofHours(1));
    assertThat(DhcpSource.refresh(-1)).isEqualTo(Duration.ofHours(1));
  }
}
