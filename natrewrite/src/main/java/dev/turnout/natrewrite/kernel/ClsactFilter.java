package dev.turnout.natrewrite.kernel;

import com.sun.jna.Memory;
import dev.turnout.netbase.LibC;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Attaches a {@code sched_cls} program to a device's egress the way kernels before TCX (Linux 6.6)
 * allow: a {@code clsact} qdisc and a direct-action {@code cls_bpf} filter on its egress hook, both
 * made with rtnetlink messages (what {@code tc qdisc add dev D clsact} and {@code tc filter add dev
 * D egress bpf da} send). Unlike a TCX link, the filter belongs to the device, not to a descriptor:
 * {@link #close} removes it, and the kernel does when the device is deleted, which for a TUN
 * happens when its owner exits, however it exits.
 *
 * <p>The rtnetlink socket is opened at attach time and kept: a socket belongs to the network
 * namespace it was made in, so the removal reaches the same device whichever thread closes.
 * Thread-safety: {@link #close} is synchronized.
 */
final class ClsactFilter implements Closeable {
  private static final int NETLINK_ROUTE = 0;
  private static final short RTM_NEWQDISC = 36;
  private static final short RTM_DELQDISC = 37;
  private static final short RTM_NEWTFILTER = 44;
  private static final short NLMSG_ERROR = 2;
  private static final short NLM_F_REQUEST = 0x1;
  private static final short NLM_F_ACK = 0x4;
  private static final short NLM_F_EXCL = 0x200;
  private static final short NLM_F_CREATE = 0x400;
  private static final int TC_H_CLSACT = 0xfffffff1;
  private static final int TC_H_CLSACT_HANDLE = 0xffff0000;
  private static final int TC_H_MIN_EGRESS = 0xfff3;
  private static final short TCA_KIND = 1;
  private static final short TCA_OPTIONS = 2;
  private static final short TCA_BPF_FD = 6;
  private static final short TCA_BPF_NAME = 7;
  private static final short TCA_BPF_FLAGS = 8;
  private static final int TCA_BPF_FLAG_ACT_DIRECT = 1;
  private static final int ETH_P_ALL_NETWORK_ORDER = 0x0300;
  private static final int PRIORITY = 1;

  // struct nlmsghdr (16 bytes), then struct tcmsg (20 bytes)
  private static final int HEADER = 16;
  private static final int TCMSG_IFINDEX = HEADER + 4;
  private static final int TCMSG_HANDLE = HEADER + 8;
  private static final int TCMSG_PARENT = HEADER + 12;
  private static final int TCMSG_INFO = HEADER + 16;
  private static final int TCMSG_END = HEADER + 20;

  private final int socket;
  private final int ifindex;
  private boolean closed; // guarded by this

  private ClsactFilter(int socket, int ifindex) {
    this.socket = socket;
    this.ifindex = ifindex;
  }

  /**
   * Adds a clsact qdisc to device {@code ifindex} of the calling thread's network namespace, and
   * {@code programFd} as the direct-action filter of its egress hook. A device that already has a
   * clsact qdisc is refused.
   */
  static ClsactFilter attachEgress(int ifindex, int programFd, String name, String device)
      throws IOException {
    int socket = LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, NETLINK_ROUTE);
    if (socket < 0) {
      throw new IOException("open an rtnetlink socket: " + Bpf.errnoText(LibC.errno()));
    }
    try {
      ByteBuffer qdisc = clsactMessage(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL, ifindex);
      attribute(qdisc, TCA_KIND, cString("clsact"));
      int error = exchange(socket, qdisc);
      if (error == LibC.EEXIST) {
        // Someone else's: removing it on close would take their filters along.
        throw new IOException(device + " already has a clsact qdisc that Turnout did not make");
      }
      if (error != 0) {
        throw new IOException("add a clsact qdisc to " + device + ": " + Bpf.errnoText(error));
      }
      ByteBuffer filter = message(RTM_NEWTFILTER, NLM_F_CREATE | NLM_F_EXCL, ifindex);
      filter.putInt(TCMSG_PARENT, TC_H_CLSACT_HANDLE | TC_H_MIN_EGRESS);
      filter.putInt(TCMSG_INFO, PRIORITY << 16 | ETH_P_ALL_NETWORK_ORDER);
      attribute(filter, TCA_KIND, cString("bpf"));
      int options = filter.position();
      attribute(filter, TCA_OPTIONS, new byte[0]);
      attribute(filter, TCA_BPF_FD, int32(programFd));
      attribute(filter, TCA_BPF_NAME, cString(name));
      attribute(filter, TCA_BPF_FLAGS, int32(TCA_BPF_FLAG_ACT_DIRECT));
      filter.putShort(options, (short) (filter.position() - options)); // the nest's length
      error = exchange(socket, filter);
      if (error != 0) {
        throw new IOException(
            "add a BPF filter to the egress of " + device + ": " + Bpf.errnoText(error));
      }
      return new ClsactFilter(socket, ifindex);
    } catch (IOException | RuntimeException e) {
      Bpf.closeDescriptor(socket);
      throw e;
    }
  }

  /**
   * Removes the clsact qdisc and with it the filter; a device already gone is fine. The qdisc was
   * made here, so no one else's filters go with it.
   */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      int error = exchange(socket, clsactMessage(RTM_DELQDISC, 0, ifindex));
      if (error != 0 && error != LibC.ENODEV && error != LibC.ENOENT && error != LibC.EINVAL) {
        throw new IOException("remove the clsact qdisc: " + Bpf.errnoText(error));
      }
    } finally {
      Bpf.closeDescriptor(socket);
    }
  }

  private static ByteBuffer clsactMessage(short type, int flags, int ifindex) {
    ByteBuffer b = message(type, flags, ifindex);
    b.putInt(TCMSG_HANDLE, TC_H_CLSACT_HANDLE).putInt(TCMSG_PARENT, TC_H_CLSACT);
    return b;
  }

  private static ByteBuffer message(short type, int flags, int ifindex) {
    ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.nativeOrder());
    b.putShort(4, type).putShort(6, (short) (NLM_F_REQUEST | NLM_F_ACK | flags)).putInt(8, 1);
    b.putInt(TCMSG_IFINDEX, ifindex);
    return b.position(TCMSG_END);
  }

  /** Appends an rtattr, padded to 4 bytes. */
  private static void attribute(ByteBuffer b, short type, byte[] value) {
    b.putShort((short) (4 + value.length)).putShort(type).put(value);
    while (b.position() % 4 != 0) {
      b.put((byte) 0);
    }
  }

  /** Sends one request and returns the errno of its acknowledgement (0 for success). */
  private static int exchange(int socket, ByteBuffer request) throws IOException {
    int length = request.position();
    request.putInt(0, length);
    try (Memory buffer = new Memory(8192)) {
      buffer.write(0, request.array(), 0, length);
      if (LibC.send(socket, buffer, length, 0) < 0) {
        throw new IOException("rtnetlink: " + Bpf.errnoText(LibC.errno()));
      }
      long received = LibC.recv(socket, buffer, buffer.size(), 0);
      if (received < 0) {
        throw new IOException("rtnetlink: " + Bpf.errnoText(LibC.errno()));
      }
      if (received < HEADER + 4 || buffer.getShort(4) != NLMSG_ERROR) {
        throw new IOException("unexpected rtnetlink answer");
      }
      return -buffer.getInt(HEADER);
    }
  }

  private static byte[] cString(String text) {
    return (text + "\0").getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] int32(int value) {
    return ByteBuffer.allocate(4).order(ByteOrder.nativeOrder()).putInt(value).array();
  }
}
