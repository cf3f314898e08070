package dev.turnout.relay.splice;

import com.sun.jna.Native;
import dev.turnout.netbase.LibC;
import java.io.IOException;
import java.util.ArrayDeque;

/**
 * Empty pipes kept for reuse by one {@link SpliceLoop}: short connections (a web page's many small
 * requests) would otherwise pay pipe2, fcntl and two closes per direction. Only a pipe known to be
 * empty comes back; at most {@value #MAX_IDLE} wait here. Not thread-safe.
 */
final class PipePool {
  static final int PIPE_SIZE = 1 << 18;
  private static final int MAX_IDLE = 64;

  private final ArrayDeque<int[]> idle = new ArrayDeque<>();

  /** A pipe {read end, write end}, non-blocking. */
  int[] take() throws IOException {
    int[] pipe = idle.poll();
    if (pipe != null) {
      return pipe;
    }
    pipe = new int[2];
    if (LibC.pipe2(pipe, LibC.O_NONBLOCK | LibC.O_CLOEXEC) < 0) {
      throw new IOException("pipe2: " + LibC.strerror(Native.getLastError()));
    }
    // Bigger than the 64 KiB default so one splice carries several TUN segments; if the per-user
    // pipe quota says no, the default works too.
    LibC.fcntl(pipe[1], LibC.F_SETPIPE_SZ, PIPE_SIZE);
    return pipe;
  }

  /** Takes back a pipe: kept if {@code empty} and there is room, closed otherwise. */
  void give(int[] pipe, boolean empty) {
    if (empty && idle.size() < MAX_IDLE) {
      idle.push(pipe);
    } else {
      close(pipe);
    }
  }

  /** Closes every idle pipe. */
  void clear() {
    int[] pipe;
    while ((pipe = idle.poll()) != null) {
      close(pipe);
    }
  }

  private static void close(int[] pipe) {
    LibC.close(pipe[0]);
    LibC.close(pipe[1]);
  }
}
