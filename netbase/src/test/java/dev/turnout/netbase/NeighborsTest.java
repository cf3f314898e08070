package dev.turnout.netbase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The netlink dump of the neighbour tables, as the kernel writes it (rtnetlink(7): nlmsghdr, ndmsg,
 * NDA_DST and NDA_LLADDR attributes). The dump itself is read from the kernel in the end-to-end
 * SRC-MAC test (Ipv6AutoRouteIT), where a LAN host's entries are real.
 */
class NeighborsTest {
  private static final int REACHABLE = 0x02;
  private static final int STALE = 0x04;
  private static final int INCOMPLETE = 0x01;
  private static final int FAILED = 0x20;

  private final ByteBuffer dump = ByteBuffer.allocate(4096).order(ByteOrder.nativeOrder());

  private void neighbour(int family, String address, String mac, int state) throws Exception {
    byte[] dst = InetAddress.getByName(address).getAddress();
    byte[] ll = mac == null ? null : HexFormat.ofDelimiter(":").parseHex(mac);
    int length = 16 + 12 + 4 + align(dst.length) + (ll == null ? 0 : 4 + align(ll.length));
    dump.putInt(length).putShort((short) 28).putShort((short) 2).putInt(1).putInt(0);
    dump.put((byte) family).put((byte) 0).putShort((short) 0).putInt(3);
    dump.putShort((short) state).put((byte) 0).put((byte) 1);
    attribute(1, dst);
    if (ll != null) {
      attribute(2, ll);
    }
  }

  private void attribute(int type, byte[] value) {
    dump.putShort((short) (4 + value.length)).putShort((short) type).put(value);
    dump.position(dump.position() + align(value.length) - value.length);
  }

  private void done() {
    dump.putInt(20).putShort((short) 3).putShort((short) 2).putInt(1).putInt(0).putInt(0);
  }

  private static int align(int n) {
    return (n + 3) & ~3;
  }

  private Map<InetAddress, String> parse(boolean expectDone) throws IOException {
    dump.flip();
    Map<InetAddress, String> table = new HashMap<>();
    assertThat(Neighbors.parse(dump, table)).isEqualTo(expectDone);
    return table;
  }

  @Test
  void usableEntriesOfBothFamiliesAreRead() throws Exception {
    neighbour(2, "198.51.100.66", "02:00:5e:00:66:66", REACHABLE);
    neighbour(10, "2001:db8:66::66", "02:00:5e:00:66:66", STALE);
    neighbour(2, "198.51.100.67", "02:00:5e:00:66:67", INCOMPLETE); // being resolved
    neighbour(2, "198.51.100.68", "02:00:5e:00:66:68", FAILED);
    neighbour(2, "198.51.100.69", null, REACHABLE); // a device without link-layer addresses
    neighbour(2, "198.51.100.70", "00:00:00:00:00:00", REACHABLE);
    done();
    Map<InetAddress, String> table = parse(true);
    assertThat(table)
        .containsOnly(
            Map.entry(InetAddress.getByName("198.51.100.66"), "02:00:5e:00:66:66"),
            Map.entry(InetAddress.getByName("2001:db8:66::66"), "02:00:5e:00:66:66"));
  }

  @Test
  void aDumpSpreadOverReadsEndsOnlyAtDone() throws Exception {
    neighbour(2, "198.51.100.66", "02:00:5e:00:66:66", REACHABLE);
    assertThat(parse(false)).hasSize(1);
  }

  @Test
  void errorsAndTruncatedMessagesAreErrors() throws Exception {
    dump.putInt(20).putShort((short) 2).putShort((short) 0).putInt(1).putInt(0).putInt(-1);
    assertThatThrownBy(() -> parse(true)).hasMessageContaining("refused the dump (errno 1)");
    dump.clear();
    dump.putInt(400).putShort((short) 28).putShort((short) 2).putInt(1).putInt(0);
    assertThatThrownBy(() -> parse(true)).hasMessageContaining("malformed netlink message");
  }

  @Test
  void aMalformedAttributeSkipsItsEntryOnly() throws Exception {
    int start = dump.position();
    neighbour(2, "198.51.100.66", "02:00:5e:00:66:66", REACHABLE);
    dump.putShort(start + 28, (short) 200); // the first attribute claims more than its message
    neighbour(2, "198.51.100.71", "02:00:5e:00:66:71", REACHABLE);
    done();
    assertThat(parse(true)).containsOnlyKeys(InetAddress.getByName("198.51.100.71"));
  }

  /** The kernel's own tables: readable, and a host's own address is no neighbour. */
  @Test
  void theKernelsTablesAreReadable() throws Exception {
    ManualTimeSource time = new ManualTimeSource();
    Neighbors n = new Neighbors(time);
    assertThat(n.macOf(InetAddress.getLoopbackAddress())).isNull();
    time.advance(java.time.Duration.ofMillis(20));
    assertThat(n.macOf(InetAddress.getLoopbackAddress())).isNull(); // remembered: no new dump
  }
}
