package dev.turnout.inbound.listen;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import dev.turnout.netbase.LibC;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.DatagramPacket;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The IPv6 side of a TPROXY listener's UDP. Netty reports the original destination ({@code
 * IP_RECVORIGDSTADDR}) of IPv4 datagrams only, so IPv6 ones are read here: a transparent socket
 * ({@code IPV6_V6ONLY}, {@code IPV6_TRANSPARENT}, {@code IPV6_RECVORIGDSTADDR}) bound on the
 * listener's IPv6 address and port, read with recvmsg(2) by a thread of its own, which hands each
 * datagram, with where it came from and where it was going, to the listener's event loop. Limits:
 * 64 KiB a datagram; at most {@value #MAX_WAITING} wait for the event loop, and later ones are
 * dropped (told to {@code dropped}) until it catches up. Replies leave by the listener's own reply
 * sockets, as IPv4 ones do.
 */
final class Ipv6TproxySocket {
  static final int MAX_WAITING = 1024;
  private static final int SOL_SOCKET = 1;
  private static final int SO_REUSEADDR = 2;
  private static final int SOL_IPV6 = 41;
  private static final int IPV6_V6ONLY = 26;
  private static final int IPV6_RECVORIGDSTADDR = 74;
  private static final int IPV6_TRANSPARENT = 75;
  private static final int SOCKADDR_IN6 = 28;
  private static final int PAYLOAD = 65_536;
  private static final int POLL_MILLIS = 250; // how soon close() is noticed

  // One block: payload, sender address, control messages, iovec, msghdr (64-bit layouts).
  private static final int NAME_AT = PAYLOAD;
  private static final int CONTROL_AT = NAME_AT + 32;
  private static final int CONTROL = 128;
  private static final int IOV_AT = CONTROL_AT + CONTROL;
  private static final int MSG_AT = IOV_AT + 16;
  private static final int POLL_AT = MSG_AT + 56;
  private static final int BLOCK = POLL_AT + 8;

  private final int fd;
  private final InetSocketAddress local;
  private final EventLoop loop;
  private final Consumer<DatagramPacket> sink;
  private final Runnable dropped;
  private final AtomicInteger waiting = new AtomicInteger();
  private final Thread reader;
  private volatile boolean closed;

  private Ipv6TproxySocket(
      int fd,
      InetSocketAddress local,
      EventLoop loop,
      Consumer<DatagramPacket> sink,
      Runnable dropped) {
    this.fd = fd;
    this.local = local;
    this.loop = loop;
    this.sink = sink;
    this.dropped = dropped;
    this.reader = new Thread(this::read, "turnout-tproxy6-" + local.getPort());
    reader.setDaemon(true);
  }

  /**
   * Binds {@code bind} (an IPv6 address and port) and starts reading: each datagram goes to {@code
   * sink} on {@code loop}, with its original destination as the packet's recipient.
   *
   * @throws IOException when the socket cannot be made or bound (no IPv6, the port in use, no
   *     CAP_NET_ADMIN for a transparent socket)
   */
  static Ipv6TproxySocket open(
      InetSocketAddress bind, EventLoop loop, Consumer<DatagramPacket> sink, Runnable dropped)
      throws IOException {
    LibC.checkPlatform("TPROXY for IPv6 UDP");
    int fd = LibC.socket(LibC.AF_INET6, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0);
    if (fd < 0) {
      throw new IOException("IPv6 UDP socket: " + LibC.strerror(LibC.errno()));
    }
    try (Memory scratch = new Memory(SOCKADDR_IN6)) {
      option(fd, SOL_SOCKET, SO_REUSEADDR, scratch, "SO_REUSEADDR");
      option(fd, SOL_IPV6, IPV6_V6ONLY, scratch, "IPV6_V6ONLY");
      option(fd, SOL_IPV6, IPV6_TRANSPARENT, scratch, "IPV6_TRANSPARENT");
      option(fd, SOL_IPV6, IPV6_RECVORIGDSTADDR, scratch, "IPV6_RECVORIGDSTADDR");
      writeAddress(scratch, 0, bind);
      if (LibC.bind(fd, scratch, SOCKADDR_IN6) < 0) {
        throw new IOException("bind UDP " + bind + ": " + LibC.strerror(LibC.errno()));
      }
    } catch (IOException | RuntimeException e) {
      LibC.close(fd);
      throw e;
    }
    Ipv6TproxySocket socket = new Ipv6TproxySocket(fd, bind, loop, sink, dropped);
    socket.reader.start();
    return socket;
  }

  private static void option(int fd, int level, int name, Memory scratch, String what)
      throws IOException {
    scratch.setInt(0, 1);
    if (LibC.setsockopt(fd, level, name, scratch, 4) < 0) {
      throw new IOException("setsockopt " + what + ": " + LibC.strerror(LibC.errno()));
    }
  }

  /** Where the socket is bound. */
  InetSocketAddress localAddress() {
    return local;
  }

  /**
   * Stops reading and closes the socket, waiting (about {@value #POLL_MILLIS} ms) until it is
   * closed, so that a listener started again at once can bind the port. Idempotent.
   */
  void close() {
    closed = true;
    if (Thread.currentThread() != reader) {
      try {
        reader.join(4L * POLL_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void read() {
    try (Memory block = new Memory(BLOCK)) {
      block.setLong(IOV_AT, Pointer.nativeValue(block));
      block.setLong(IOV_AT + 8, PAYLOAD);
      block.setInt(POLL_AT, fd);
      block.setShort(POLL_AT + 4, LibC.POLLIN);
      while (!closed) {
        block.setShort(POLL_AT + 6, (short) 0);
        int ready = LibC.poll(Pointer.nativeValue(block) + POLL_AT, 1, POLL_MILLIS);
        if (ready <= 0) {
          continue; // timeout, or EINTR: look at closed again
        }
        long message = Pointer.nativeValue(block) + MSG_AT;
        block.setLong(MSG_AT, Pointer.nativeValue(block) + NAME_AT); // msg_name
        block.setInt(MSG_AT + 8, 32); // msg_namelen
        block.setLong(MSG_AT + 16, Pointer.nativeValue(block) + IOV_AT); // msg_iov
        block.setLong(MSG_AT + 24, 1); // msg_iovlen
        block.setLong(MSG_AT + 32, Pointer.nativeValue(block) + CONTROL_AT); // msg_control
        block.setLong(MSG_AT + 40, CONTROL); // msg_controllen
        block.setInt(MSG_AT + 48, 0); // msg_flags
        long n = LibC.recvmsg(fd, new Pointer(message), LibC.MSG_DONTWAIT);
        if (n < 0) {
          continue; // EAGAIN after a spurious wake-up, or an ICMP error queued for the socket
        }
        deliver(block, (int) n);
      }
    } finally {
      LibC.close(fd);
    }
  }

  private void deliver(Memory block, int length) {
    long controlLength = block.getLong(MSG_AT + 40);
    InetSocketAddress target =
        originalDestination(block.getByteBuffer(CONTROL_AT, Math.min(controlLength, CONTROL)));
    if (target == null) {
      target = local; // no destination reported: as if sent to the listener (counted, dropped)
    }
    if (waiting.incrementAndGet() > MAX_WAITING) {
      waiting.decrementAndGet();
      dropped.run();
      return;
    }
    InetSocketAddress sender = readAddress(block.getByteBuffer(NAME_AT, SOCKADDR_IN6));
    ByteBuf payload = ByteBufAllocator.DEFAULT.directBuffer(length);
    payload.writeBytes(block.getByteBuffer(0, length));
    DatagramPacket packet = new DatagramPacket(payload, target, sender);
    try {
      loop.execute(
          () -> {
            waiting.decrementAndGet();
            sink.accept(packet);
          });
    } catch (RuntimeException e) { // the event loop is shutting down
      waiting.decrementAndGet();
      packet.release();
    }
  }

  /** The {@code IPV6_ORIGDSTADDR} control message's address, or null without one. */
  static InetSocketAddress originalDestination(ByteBuffer control) {
    ByteBuffer c = control.order(ByteOrder.nativeOrder());
    int at = 0;
    while (at + 16 <= c.limit()) {
      long length = c.getLong(at);
      int level = c.getInt(at + 8);
      int type = c.getInt(at + 12);
      if (length < 16 || at + length > c.limit()) {
        return null;
      }
      if (level == SOL_IPV6 && type == IPV6_RECVORIGDSTADDR && length >= 16 + SOCKADDR_IN6) {
        return readAddress(c.slice(at + 16, SOCKADDR_IN6));
      }
      at += (int) ((length + 7) & ~7L);
    }
    return null;
  }

  /** A {@code sockaddr_in6}: family, port (big-endian), flow info, address, scope. */
  static InetSocketAddress readAddress(ByteBuffer b) {
    byte[] address = new byte[16];
    b.get(8, address);
    int port = ((b.get(2) & 0xff) << 8) | (b.get(3) & 0xff);
    int scope = b.order(ByteOrder.nativeOrder()).getInt(24);
    try {
      InetAddress a =
          scope != 0
              ? Inet6Address.getByAddress(null, address, scope)
              : InetAddress.getByAddress(address);
      return new InetSocketAddress(a, port);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("16 bytes are an IPv6 address", e);
    }
  }

  private static void writeAddress(Memory m, long at, InetSocketAddress a) {
    m.clear(SOCKADDR_IN6);
    m.setShort(at, (short) LibC.AF_INET6);
    m.setByte(at + 2, (byte) (a.getPort() >> 8));
    m.setByte(at + 3, (byte) a.getPort());
    m.write(at + 8, a.getAddress().getAddress(), 0, 16);
    if (a.getAddress() instanceof Inet6Address v6) {
      m.setInt(at + 24, v6.getScopeId());
    }
  }
}
