package dev.turnout.netbase;

import com.sun.jna.Memory;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The hardware (MAC) addresses of the hosts on this host's links, as the kernel's neighbour tables
 * (ARP for IPv4, NDP for IPv6) hold them: what {@code SRC-MAC} rules match a connection's source
 * address against. One netlink dump ({@code RTM_GETNEIGH}, both families) is read at most every 2
 * s, and again (at most every 10 ms) for an address it did not hold, unless that address was missed
 * within the last second: a LAN host's first connection finds the entry the kernel made when the
 * host first asked for its gateway, and this host's own connections, which have no entry, cost no
 * dump each. Entries being resolved or failed are left out. Lookups block for the dump, so callers
 * run off the event loops. Thread-safe.
 */
public final class Neighbors {
  private static final int NETLINK_ROUTE = 0;
  private static final short RTM_NEWNEIGH = 28;
  private static final short RTM_GETNEIGH = 30;
  private static final short NLMSG_ERROR = 2;
  private static final short NLMSG_DONE = 3;
  private static final short NLM_F_REQUEST = 1;
  private static final short NLM_F_DUMP = 0x300;
  private static final int NDA_DST = 1;
  private static final int NDA_LLADDR = 2;

  /** REACHABLE, STALE, DELAY, PROBE, PERMANENT: not INCOMPLETE, FAILED or NOARP. */
  private static final int USABLE = 0x02 | 0x04 | 0x08 | 0x10 | 0x80;

  private static final int BUFFER = 64 * 1024;
  private static final int MAX_ENTRIES = 65_536;
  private static final long REREAD_NANOS = 2_000_000_000L;
  private static final long MISS_REREAD_NANOS = 10_000_000L;
  private static final long MISS_MEMORY_NANOS = 1_000_000_000L;
  private static final int MAX_MISSES = 1024;

  private final TimeSource clock;
  private Map<InetAddress, String> table = Map.of(); // guarded by this
  private long readAt = Long.MIN_VALUE / 2; // guarded by this
  private final Map<InetAddress, Long> missedAt = new LinkedHashMap<>(); // guarded by this

  public Neighbors(TimeSource clock) {
    this.clock = clock;
  }

  /**
   * The MAC address of the neighbour at {@code address}, lower case with colons ({@code
   * 02:00:5e:00:66:66}), or null when the tables hold none (this host's own addresses, hosts beyond
   * a router, a table that cannot be read).
   */
  public synchronized String macOf(InetAddress address) {
    long now = clock.nanoTime();
    String mac = table.get(address);
    long age = now - readAt;
    if (age >= REREAD_NANOS
        || (mac == null && age >= MISS_REREAD_NANOS && !missedLately(address, now))) {
      readAt = now;
      try {
        table = dump();
      } catch (IOException e) {
        table = Map.of(); // the next lookup tries again after the same pause
      }
      mac = table.get(address);
    }
    if (mac == null) {
      missedAt.remove(address);
      missedAt.put(address, now); // the newest last
      if (missedAt.size() > MAX_MISSES) {
        missedAt.remove(missedAt.keySet().iterator().next());
      }
    }
    return mac;
  }

  private boolean missedLately(InetAddress address, long now) {
    Long at = missedAt.get(address);
    return at != null && now - at < MISS_MEMORY_NANOS;
  }

  private static Map<InetAddress, String> dump() throws IOException {
    LibC.checkPlatform("reading the neighbour tables");
    int fd = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0) {
      throw new IOException("netlink socket: " + LibC.strerror(LibC.errno()));
    }
    try (Memory buffer = new Memory(BUFFER)) {
      ByteBuffer request = ByteBuffer.allocate(28).order(ByteOrder.nativeOrder());
      request.putInt(28).putShort(RTM_GETNEIGH).putShort((short) (NLM_F_REQUEST | NLM_F_DUMP));
      request.putInt(1).putInt(0); // sequence, port (the kernel's)
      // ndmsg: AF_UNSPEC dumps both families; the rest zero
      buffer.write(0, request.array(), 0, 28);
      buffer.setMemory(28, 12, (byte) 0);
      if (LibC.send(fd, buffer, 40, 0) != 40) {
        throw new IOException("netlink send: " + LibC.strerror(LibC.errno()));
      }
      Map<InetAddress, String> table = new HashMap<>();
      while (true) {
        long n = LibC.recv(fd, buffer, BUFFER, 0);
        if (n <= 0) {
          throw new IOException("netlink recv: " + LibC.strerror(LibC.errno()));
        }
        ByteBuffer bytes = buffer.getByteBuffer(0, n).order(ByteOrder.nativeOrder());
        if (parse(bytes, table)) {
          return table;
        }
      }
    } finally {
      LibC.close(fd);
    }
  }

  /**
   * Adds the usable entries of the netlink messages in {@code bytes} (native byte order) to {@code
   * table}; true once the dump's end was read.
   *
   * @throws IOException when the kernel answered with an error
   */
  static boolean parse(ByteBuffer bytes, Map<InetAddress, String> table) throws IOException {
    int at = 0;
    while (at + 16 <= bytes.limit()) {
      int length = bytes.getInt(at);
      short type = bytes.getShort(at + 4);
      if (length < 16 || at + length > bytes.limit()) {
        throw new IOException("malformed netlink message of " + length + " bytes");
      }
      if (type == NLMSG_DONE) {
        return true;
      }
      if (type == NLMSG_ERROR) {
        int errno = length >= 20 ? -bytes.getInt(at + 16) : 0;
        throw new IOException("netlink: the kernel refused the dump (errno " + errno + ")");
      }
      if (type == RTM_NEWNEIGH && length >= 28 && table.size() < MAX_ENTRIES) {
        entry(bytes, at, length, table);
      }
      at += align(length);
    }
    return false;
  }

  /** One RTM_NEWNEIGH: an ndmsg (12 bytes), then attributes. */
  private static void entry(ByteBuffer bytes, int at, int length, Map<InetAddress, String> table) {
    int state = bytes.getShort(at + 16 + 8) & 0xffff;
    if ((state & USABLE) == 0) {
      return;
    }
    byte[] dst = null;
    byte[] mac = null;
    int attr = at + 16 + 12;
    int end = at + length;
    while (attr + 4 <= end) {
      int attrLength = bytes.getShort(attr) & 0xffff;
      int attrType = bytes.getShort(attr + 2) & 0x3fff; // without the nested/byte-order flags
      if (attrLength < 4 || attr + attrLength > end) {
        return; // a malformed entry is skipped, not the dump
      }
      byte[] value = new byte[attrLength - 4];
      bytes.get(attr + 4, value);
      if (attrType == NDA_DST && (value.length == 4 || value.length == 16)) {
        dst = value;
      } else if (attrType == NDA_LLADDR && value.length == 6) {
        mac = value;
      }
      attr += align(attrLength);
    }
    if (dst == null || mac == null || isZero(mac)) {
      return;
    }
    try {
      table.put(InetAddress.getByAddress(dst), HexFormat.ofDelimiter(":").formatHex(mac));
    } catch (UnknownHostException e) {
      throw new IllegalStateException("4 or 16 bytes are an address", e);
    }
  }

  private static boolean isZero(byte[] b) {
    for (byte x : b) {
      if (x != 0) {
        return false;
      }
    }
    return true;
  }

  private static int align(int length) {
    return (length + 3) & ~3;
  }
}
