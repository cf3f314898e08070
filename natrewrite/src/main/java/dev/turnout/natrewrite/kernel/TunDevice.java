package dev.turnout.natrewrite.kernel;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.turnout.natrewrite.PacketDevice;
import dev.turnout.netbase.ErrnoException;
import dev.turnout.netbase.InterfaceNames;
import dev.turnout.netbase.IpLiterals;
import dev.turnout.netbase.Ipv4;
import dev.turnout.netbase.LibC;
import java.io.Closeable;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.LoggerFactory;

/**
 * A layer-3 TUN device ({@code IFF_TUN | IFF_NO_PI}): every read returns one IP packet, every write
 * injects one into the kernel. {@link #open} configures address, netmask, MTU and brings the link
 * up, so the kernel adds the prefix route (e.g. 198.18.0.0/15 dev turnout0) by itself. The device
 * is not persistent: {@link #close()} deletes it together with its routes.
 *
 * <p>Thread-safety: packet I/O is for one reader thread (a {@link TunLoop}); close the loop before
 * the device, since a closed fd number may be reused by the process.
 */
public final class TunDevice implements Closeable, PacketDevice {
  public static final int DEFAULT_MTU = 65535;

  // How long a new IPv6 address may stay tentative (a kernel work item; late on a busy host).
  private static final Duration USABLE_TIMEOUT = Duration.ofSeconds(5);
  private static final String CLONE_DEVICE = "/dev/net/tun";
  private static final long TUNSETIFF = 0x400454caL;
  private static final long SIOCGIFFLAGS = 0x8913;
  private static final long SIOCSIFFLAGS = 0x8914;
  private static final long SIOCSIFADDR = 0x8916;
  private static final long SIOCSIFNETMASK = 0x891c;
  private static final long SIOCSIFMTU = 0x8922;
  private static final short IFF_TUN = 0x0001;
  private static final short IFF_NO_PI = 0x1000;
  private static final short IFF_VNET_HDR = 0x4000;
  private static final long TUNSETOFFLOAD = 0x400454d0L;
  private static final int TUN_F_CSUM = 0x01;
  private static final int TUN_F_TSO4 = 0x02;
  private static final int TUN_F_TSO6 = 0x04;
  private static final int TUN_F_TSO_ECN = 0x08;
  private static final short IFF_UP = 0x1;
  private static final short IFF_RUNNING = 0x40;
  private static final int IFNAMSIZ = 16;
  private static final int IFREQ_SIZE = 40;

  private final int fd;
  private final String name;
  private final int mtu;
  private final boolean offload;
  private final Memory pollFd = new Memory(8);
  private final long pollFdAddress = Pointer.nativeValue(pollFd);
  private final AtomicBoolean closed = new AtomicBoolean();

  private TunDevice(int fd, String name, int mtu, boolean offload) {
    this.fd = fd;
    this.name = name;
    this.mtu = mtu;
    this.offload = offload;
    pollFd.setInt(0, fd);
    pollFd.setShort(4, LibC.POLLIN);
  }

  /**
   * Creates the TUN device {@code name} with {@code address/prefixLength}, sets its MTU and brings
   * it up; without offloads.
   *
   * @throws IOException if /dev/net/tun is missing, CAP_NET_ADMIN is lacking, the name is taken, or
   *     any configuration step fails; the message says which
   */
  public static TunDevice open(String name, Inet4Address address, int prefixLength, int mtu)
      throws IOException {
    return open(name, address, prefixLength, mtu, false);
  }

  /**
   * As {@link #open(String, Inet4Address, int, int)}; with {@code offload}, every packet carries a
   * virtio-net header ({@code VirtioNetHeader}) and the kernel hands over TCP segments of up to 64
   * KiB whose checksum it has not computed (TSO and checksum offload, as for a virtio NIC), and
   * accepts them back the same way. That spares the kernel one pass over every byte in each
   * direction (checksumming on the way into the TUN, verifying on the way out). If the kernel
   * refuses the offloads the device still works, with headers that never ask for anything; {@link
   * #offload()} says which.
   */
  public static TunDevice open(
      String name, Inet4Address address, int prefixLength, int mtu, boolean offload)
      throws IOException {
    byte[] nameBytes = name.getBytes(StandardCharsets.US_ASCII);
    if (!InterfaceNames.valid(name)) {
      throw new IllegalArgumentException("bad interface name: " + name);
    }
    if (prefixLength < 1 || prefixLength > 32) {
      throw new IllegalArgumentException("bad prefix length " + prefixLength);
    }
    if (mtu < 68 || mtu > 65535) {
      throw new IllegalArgumentException("bad MTU " + mtu);
    }
    LibC.checkPlatform("the TUN device");
    int fd = LibC.open(CLONE_DEVICE, LibC.O_RDWR | LibC.O_NONBLOCK | LibC.O_CLOEXEC);
    if (fd < 0) {
      throw openFailure(LibC.errno());
    }
    try {
      Memory ifr = new Memory(IFREQ_SIZE);
      ifr.clear();
      ifr.write(0, nameBytes, 0, nameBytes.length);
      short flags = (short) (IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0));
      ifr.setShort(IFNAMSIZ, flags);
      ioctl(fd, TUNSETIFF, ifr, "create TUN device " + name);
      String actualName = ifr.getString(0, StandardCharsets.US_ASCII.name());
      if (offload) {
        enableOffloads(fd, actualName);
      }
      configure(actualName, Ipv4.toInt(address), prefixLength, mtu);
      return new TunDevice(fd, actualName, mtu, offload);
    } catch (IOException | RuntimeException e) {
      LibC.close(fd);
      throw e;
    }
  }

  /**
   * Asks for checksum offload and TSO for IPv4 and IPv6 (with ECN). If this kernel refuses, a
   * warning: the headers are still there but then never ask for anything.
   */
  private static void enableOffloads(int fd, String name) {
    long flags = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN;
    if (LibC.ioctl(fd, TUNSETOFFLOAD, flags) < 0) {
      LoggerFactory.getLogger(TunDevice.class)
          .warn(
              "TUN {}: the kernel refused checksum and segmentation offload ({}); continuing"
                  + " without",
              name,
              LibC.strerror(LibC.errno()));
    }
  }

  /**
   * Gives the device an IPv6 address with {@code prefixLength}, so the kernel routes that prefix
   * into it, as {@link #open} does for IPv4. A TUN has no link layer: the kernel keeps no neighbour
   * state for it and sends it no neighbour solicitations, and skips duplicate address detection;
   * this returns once the kernel has done so and sockets can bind the address ({@link
   * TentativeAddress}).
   *
   * @throws IOException if the host has no IPv6 (the ipv6 module absent, or {@code disable_ipv6}
   *     set for new devices), or the MTU is below 1280, or the address stays unusable; the message
   *     says which
   */
  public void addIpv6Address(Inet6Address address, int prefixLength)
      throws IOException, InterruptedException {
    if (prefixLength < 1 || prefixLength > 128) {
      throw new IllegalArgumentException("bad prefix length " + prefixLength);
    }
    int ifindex = LibC.if_nametoindex(name);
    if (ifindex == 0) {
      throw new IOException("no network device " + name);
    }
    int socket = LibC.socket(LibC.AF_INET6, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
    if (socket < 0) {
      throw new IOException(
          "Cannot give "
              + name
              + " an IPv6 address: this host has no IPv6 ("
              + LibC.strerror(LibC.errno())
              + ")");
    }
    try {
      // struct in6_ifreq { struct in6_addr addr; __u32 prefixlen; int ifindex; }
      Memory request = new Memory(24);
      request.write(0, address.getAddress(), 0, 16);
      request.setInt(16, prefixLength);
      request.setInt(20, ifindex);
      if (LibC.ioctl(socket, SIOCSIFADDR, request) < 0) {
        int errno = LibC.errno();
        String reason =
            errno == LibC.EACCES
                ? "IPv6 is disabled on it (net.ipv6.conf.default.disable_ipv6 = 1?) or its MTU is"
                    + " below 1280"
                : LibC.strerror(errno);
        throw new IOException(
            "Cannot give "
                + name
                + " the IPv6 address "
                + IpLiterals.format(address)
                + ": "
                + reason,
            new ErrnoException("SIOCSIFADDR", errno));
      }
    } finally {
      LibC.close(socket);
    }
    TentativeAddress.await(TentativeAddress.IF_INET6, name, address, USABLE_TIMEOUT);
  }

  /** The interface name the kernel assigned. */
  @Override
  public String name() {
    return name;
  }

  public int mtu() {
    return mtu;
  }

  /**
   * True if every packet read or written starts with a virtio-net header ({@code VirtioNetHeader}).
   */
  @Override
  public boolean offload() {
    return offload;
  }

  /** Closes the fd; the kernel deletes the device and its routes. Idempotent. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      LibC.close(fd);
    }
  }

  /**
   * Reads one packet into native memory at {@code address}.
   *
   * @return the packet length, or -1 if none is pending
   */
  @Override
  public int read(long address, int capacity) throws IOException {
    while (true) {
      long n = LibC.read(fd, address, capacity);
      if (n >= 0) {
        return (int) n;
      }
      int errno = LibC.errno();
      if (errno == LibC.EAGAIN) {
        return -1;
      }
      if (errno != LibC.EINTR) {
        throw new IOException("read from " + name + ": " + LibC.strerror(errno));
      }
    }
  }

  /** Writes one packet from native memory. */
  @Override
  public void write(long address, int length) throws IOException {
    while (true) {
      long n = LibC.write(fd, address, length);
      if (n >= 0) {
        return;
      }
      int errno = LibC.errno();
      if (errno != LibC.EINTR) {
        throw new IOException("write to " + name + ": " + LibC.strerror(errno));
      }
    }
  }

  /**
   * Waits until a packet is pending or the timeout passes.
   *
   * @throws IOException if the fd is closed or in error
   */
  @Override
  public void awaitReadable(int timeoutMillis) throws IOException {
    pollFd.setShort(6, (short) 0);
    int n = LibC.poll(pollFdAddress, 1, timeoutMillis);
    if (n < 0) {
      int errno = LibC.errno();
      if (errno != LibC.EINTR) {
        throw new IOException("poll on " + name + ": " + LibC.strerror(errno));
      }
      return;
    }
    short revents = pollFd.getShort(6);
    if ((revents & (LibC.POLLERR | LibC.POLLHUP | LibC.POLLNVAL)) != 0) {
      throw new IOException(
          "TUN device " + name + " is closed or in error (revents " + revents + ")");
    }
  }

  private static void configure(String name, int address, int prefixLength, int mtu)
      throws IOException {
    int socket =
        LibC.check(
            LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0),
            "socket(AF_INET) for configuring " + name);
    try {
      Memory ifr = new Memory(IFREQ_SIZE);
      int netmask = -1 << (32 - prefixLength);
      setSockaddr(ifr, name, address);
      ioctl(socket, SIOCSIFADDR, ifr, "set the address of " + name);
      setSockaddr(ifr, name, netmask);
      ioctl(socket, SIOCSIFNETMASK, ifr, "set the netmask of " + name);
      clear(ifr, name);
      ifr.setInt(IFNAMSIZ, mtu);
      ioctl(socket, SIOCSIFMTU, ifr, "set the MTU of " + name);
      clear(ifr, name);
      ioctl(socket, SIOCGIFFLAGS, ifr, "get the flags of " + name);
      ifr.setShort(IFNAMSIZ, (short) (ifr.getShort(IFNAMSIZ) | IFF_UP | IFF_RUNNING));
      ioctl(socket, SIOCSIFFLAGS, ifr, "bring up " + name);
    } finally {
      LibC.close(socket);
    }
  }

  private static void clear(Memory ifr, String name) {
    ifr.clear();
    byte[] bytes = name.getBytes(StandardCharsets.US_ASCII);
    ifr.write(0, bytes, 0, bytes.length);
  }

  /** Fills ifr_addr with a sockaddr_in (family in host order, address in network order). */
  private static void setSockaddr(Memory ifr, String name, int address) {
    clear(ifr, name);
    ifr.setShort(IFNAMSIZ, (short) LibC.AF_INET);
    ifr.setByte(IFNAMSIZ + 4, (byte) (address >>> 24));
    ifr.setByte(IFNAMSIZ + 5, (byte) (address >>> 16));
    ifr.setByte(IFNAMSIZ + 6, (byte) (address >>> 8));
    ifr.setByte(IFNAMSIZ + 7, (byte) address);
  }

  private static void ioctl(int fd, long request, Memory ifr, String what) throws IOException {
    if (LibC.ioctl(fd, request, ifr) < 0) {
      int errno = LibC.errno();
      String reason =
          switch (errno) {
            case LibC.EPERM, LibC.EACCES ->
                "permission denied: this needs CAP_NET_ADMIN (run as root, or grant the capability"
                    + " with setcap/AmbientCapabilities)";
            case LibC.EBUSY -> "the interface name is in use by another device or process";
            default -> LibC.strerror(errno);
          };
      throw new IOException("Cannot " + what + ": " + reason, new ErrnoException(what, errno));
    }
  }

  private static IOException openFailure(int errno) {
    String reason =
        switch (errno) {
          case LibC.ENOENT, LibC.ENODEV, LibC.ENXIO ->
              CLONE_DEVICE
                  + " is missing: load the tun module (modprobe tun), or in a container pass"
                  + " --device /dev/net/tun";
          case LibC.EPERM, LibC.EACCES ->
              "permission denied on "
                  + CLONE_DEVICE
                  + ": this needs CAP_NET_ADMIN (run as root, or grant the capability)";
          default -> LibC.strerror(errno);
        };
    return new IOException("Cannot open TUN: " + reason);
  }
}
