package dev.turnout.relay.splice;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * The Linux calls the splice relay needs, bound by JNA direct mapping. Memory is passed as raw
 * addresses ({@code long}) so the per-transfer calls allocate nothing; they return -1 and leave
 * errno in {@link Native#getLastError()}.
 */
final class SpliceCalls {
  static final int O_NONBLOCK = 0x800;
  static final int O_CLOEXEC = 0x80000;
  static final int EPOLL_CTL_ADD = 1;
  static final int EPOLL_CTL_DEL = 2;
  static final int EPOLL_CTL_MOD = 3;
  static final int EPOLLIN = 0x1;
  static final int EPOLLPRI = 0x2;
  static final int EPOLLOUT = 0x4;
  static final int EPOLLERR = 0x8;
  static final int EPOLLHUP = 0x10;
  static final int SPLICE_F_MOVE = 1;
  static final int SPLICE_F_NONBLOCK = 2;
  static final int F_DUPFD_CLOEXEC = 1030;
  static final int F_SETPIPE_SZ = 1031;
  static final int SHUT_WR = 1;
  static final int EINTR = 4;
  static final int EAGAIN = 11;

  /** sizeof(struct epoll_event): packed on x86-64 (12 bytes), naturally aligned elsewhere. */
  static final int EVENT_SIZE = Platform.isIntel() ? 12 : 16;

  static final int EVENT_DATA_OFFSET = EVENT_SIZE == 12 ? 4 : 8;

  static {
    Native.register(SpliceCalls.class, Platform.C_LIBRARY_NAME);
  }

  private SpliceCalls() {}

  /** True on 64-bit Linux, where the layouts above hold. */
  static boolean supported() {
    return Platform.isLinux() && Native.POINTER_SIZE == 8;
  }

  static native long splice(int in, long inOffset, int out, long outOffset, long length, int flags);

  static native long write(int fd, long buffer, long count);

  static native long read(int fd, long buffer, long count);

  static native int pipe2(int[] fds, int flags);

  static native int fcntl(int fd, int command, int argument);

  static native int shutdown(int fd, int how);

  static native int close(int fd);

  static native int epoll_create1(int flags);

  static native int epoll_ctl(int epfd, int op, int fd, long event);

  static native int epoll_wait(int epfd, long events, int maxEvents, int timeoutMillis);

  static native int eventfd(int initial, int flags);

  static native String strerror(int errno);
}
