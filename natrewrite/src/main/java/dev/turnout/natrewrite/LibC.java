package dev.turnout.natrewrite;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few libc calls the TUN needs, bound by JNA direct mapping (about 0.25 µs a call). Buffers are
 * passed as raw addresses ({@code long}) so the per-packet calls allocate nothing; this requires a
 * 64-bit Linux, checked by {@link #checkPlatform()}. Per-packet calls return -1 and leave errno in
 * {@link Native#getLastError()}; setup calls throw {@link LastErrorException}.
 */
final class LibC {
  static final int O_RDWR = 2;
  static final int O_NONBLOCK = 0x800;
  static final int O_CLOEXEC = 0x80000;
  static final int AF_INET = 2;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_CLOEXEC = 0x80000;
  static final short POLLIN = 0x1;
  static final short POLLERR = 0x8;
  static final short POLLHUP = 0x10;
  static final short POLLNVAL = 0x20;

  static final int EPERM = 1;
  static final int ENOENT = 2;
  static final int EINTR = 4;
  static final int ENXIO = 6;
  static final int EBADF = 9;
  static final int EAGAIN = 11;
  static final int EACCES = 13;
  static final int EBUSY = 16;
  static final int EINVAL = 22;
  static final int ENODEV = 19;
  static final int EBADFD = 77;

  static {
    Native.register(LibC.class, Platform.C_LIBRARY_NAME);
  }

  private LibC() {}

  static void checkPlatform() {
    if (!Platform.isLinux() || Native.POINTER_SIZE != 8) {
      throw new UnsupportedOperationException("the TUN device needs 64-bit Linux");
    }
  }

  static native int open(String path, int flags) throws LastErrorException;

  static native int close(int fd);

  static native int socket(int domain, int type, int protocol) throws LastErrorException;

  static native int ioctl(int fd, long request, Pointer argument) throws LastErrorException;

  /** The form of ioctl whose argument is a value, not a pointer (e.g. TUNSETOFFLOAD). */
  static native int ioctl(int fd, long request, long argument) throws LastErrorException;

  static native long read(int fd, long buffer, long count);

  static native long write(int fd, long buffer, long count);

  static native int poll(long fds, long count, int timeoutMillis);

  static native String strerror(int errno);

  /** The index of network device {@code name}, or 0 if there is none. */
  static native int if_nametoindex(String name);
}
