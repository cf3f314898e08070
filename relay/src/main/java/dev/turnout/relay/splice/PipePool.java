package dev.turnout.relay.splice;

import com.sun.jna.Native;
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
    if (SpliceCalls.pipe2(pipe, SpliceCalls.O_NONBLOCK | SpliceCalls.O_CLOEXEC) < 0) {
      throw new IOException("pipe2: " + SpliceCalls.strerror(Native.getLastError()));
    }
    // Bigger than the 64 KiB default so one splice carries several TUN segments; if the per-user
    // pipe quota says no, the default works too.
    SpliceCalls.fcntl(pipe[1], SpliceCalls.F_SETPIPE_SZ, PIPE_SIZE);
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
    SpliceCalls.close(pipe[0]);
    SpliceCalls.close(pipe[1]);
  }
}
