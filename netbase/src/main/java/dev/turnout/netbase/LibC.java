package dev.turnout.netbase;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * Turnout's one binding of the C library, by JNA direct mapping (a fraction of a microsecond a
 * call: the TUN's per-packet path). Memory on the per-packet and per-transfer paths is passed as a
 * raw address ({@code long}) so those calls allocate nothing; setup calls may take a JNA {@link
 * Pointer}.
 *
 * <p>Every call returns what libc returns: -1 (or another negative value) on failure, with errno
 * left for {@link #errno()} on the calling thread. Read it right after the call; {@link #check(int,
 * String)} does that and throws an {@link ErrnoException}. Layouts assume 64-bit Linux: {@link
 * #checkPlatform} says so clearly elsewhere. Thread-safe (each call is one system call).
 */
public final class LibC {
  public static final int O_RDWR = 2;
  public static final int O_NONBLOCK = 0x800;
  public static final int O_CLOEXEC = 0x80000;
  public static final int AF_INET = 2;
  public static final int AF_INET6 = 10;
  public static final int AF_NETLINK = 16;
  public static final int AF_UNIX = 1;
  public static final int SOCK_STREAM = 1;
  public static final int SOCK_DGRAM = 2;
  public static final int SOCK_RAW = 3;
  public static final int SOCK_CLOEXEC = 0x80000;
  public static final int SOCK_NONBLOCK = 0x800;
  public static final int MSG_DONTWAIT = 0x40;
  public static final short POLLIN = 0x1;
  public static final short POLLERR = 0x8;
  public static final short POLLHUP = 0x10;
  public static final short POLLNVAL = 0x20;
  public static final int SHUT_WR = 1;
  public static final int PROT_READ = 1;
  public static final int PROT_WRITE = 2;
  public static final int MAP_SHARED = 1;
  public static final int F_DUPFD_CLOEXEC = 1030;
  public static final int F_SETPIPE_SZ = 1031;
  public static final int SPLICE_F_MOVE = 1;
  public static final int SPLICE_F_NONBLOCK = 2;
  public static final int EPOLL_CTL_ADD = 1;
  public static final int EPOLL_CTL_DEL = 2;
  public static final int EPOLL_CTL_MOD = 3;
  public static final int EPOLLIN = 0x1;
  public static final int EPOLLPRI = 0x2;
  public static final int EPOLLOUT = 0x4;
  public static final int EPOLLERR = 0x8;
  public static final int EPOLLHUP = 0x10;
  public static final int EPOLLRDHUP = 0x2000;
  public static final int SIGHUP = 1;
  public static final long SIG_DFL = 0;
  public static final long SIG_IGN = 1;
  public static final long SIG_ERR = -1;

  public static final int EPERM = 1;
  public static final int ENOENT = 2;
  public static final int EINTR = 4;
  public static final int ENXIO = 6;
  public static final int EBADF = 9;
  public static final int EAGAIN = 11;
  public static final int EACCES = 13;
  public static final int EBUSY = 16;
  public static final int EEXIST = 17;
  public static final int ENODEV = 19;
  public static final int EINVAL = 22;
  public static final int EBADFD = 77;
  public static final int ENOBUFS = 105;

  static {
    Native.register(LibC.class, Platform.C_LIBRARY_NAME);
  }

  private LibC() {}

  /**
   * Throws unless this is 64-bit Linux, where the layouts of the callers hold.
   *
   * @throws UnsupportedOperationException naming {@code what} needs it
   */
  public static void checkPlatform(String what) {
    if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
      throw new UnsupportedOperationException(what + " needs 64-bit Linux");
    }
  }

  /** The errno the last call on this thread left. */
  public static int errno() {
    return Native.getLastError();
  }

  /**
   * Returns {@code result} when it is not negative.
   *
   * @throws ErrnoException naming {@code what} and the errno of the call that returned it
   */
  public static int check(int result, String what) throws ErrnoException {
    if (result < 0) {
      throw new ErrnoException(what, errno());
    }
    return result;
  }

  /** As {@link #check(int, String)} for calls that return a {@code long}. */
  public static long check(long result, String what) throws ErrnoException {
    if (result < 0) {
      throw new ErrnoException(what, errno());
    }
    return result;
  }

  public static native String strerror(int errno);

  // files and descriptors
  public static native int open(String path, int flags);

  public static native int close(int fd);

  public static native long read(int fd, long buffer, long count);

  public static native long write(int fd, long buffer, long count);

  public static native int poll(long fds, long count, int timeoutMillis);

  public static native int fcntl(int fd, int command, int argument);

  public static native int ioctl(int fd, long request, Pointer argument);

  /** mmap(2); returns the address, or -1 (MAP_FAILED) with errno set. */
  public static native long mmap(long address, long length, int prot, int flags, int fd, long off);

  public static native int munmap(long address, long length);

  public static native int getpagesize();

  /** The form of ioctl whose argument is a value, not a pointer (e.g. TUNSETOFFLOAD). */
  public static native int ioctl(int fd, long request, long argument);

  // sockets, netlink included
  public static native int socket(int domain, int type, int protocol);

  public static native long send(int fd, Pointer buffer, long length, int flags);

  public static native long recv(int fd, Pointer buffer, long length, int flags);

  public static native int shutdown(int fd, int how);

  public static native int bind(int fd, Pointer address, int length);

  public static native int setsockopt(int fd, int level, int name, Pointer value, int length);

  /** recvmsg(2) with a {@code struct msghdr} at {@code message}. */
  public static native long recvmsg(int fd, Pointer message, int flags);

  /** getsockopt(2): {@code length} points at an int holding the room at {@code value}. */
  public static native int getsockopt(int fd, int level, int name, Pointer value, Pointer length);

  /** The index of network device {@code name}, or 0 if there is none. */
  public static native int if_nametoindex(String name);

  // splice relay
  public static native long splice(
      int in, long inOffset, int out, long outOffset, long length, int flags);

  public static native int pipe2(int[] fds, int flags);

  public static native int socketpair(int domain, int type, int protocol, int[] fds);

  public static native int epoll_create1(int flags);

  public static native int epoll_ctl(int epfd, int op, int fd, long event);

  public static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);

  public static native int eventfd(int initial, int flags);

  // signals
  /**
   * signal(2): sets the disposition of {@code signum} to {@code handler} (only {@link #SIG_DFL} or
   * {@link #SIG_IGN} from Java) and returns the previous one, or {@link #SIG_ERR}.
   */
  public static native long signal(int signum, long handler);

  /** syscall(2), for calls libc does not wrap (bpf(2)). */
  public static native long syscall(long number, long a, Pointer b, long c);
}
