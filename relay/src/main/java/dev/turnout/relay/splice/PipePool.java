package dev.turnout.relay.splice;

import com.sun.jna.Native;
import dev.turnout.netbase.LibC;
import dev.turnout.netbase.LogLimiter;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Empty pipes kept for reuse by one {@link SpliceLoop}: short connections (a web page's many small
 * requests) would otherwise pay pipe2, fcntl and two closes per direction. Only a pipe known to be
 * empty comes back; at most {@value #MAX_IDLE} wait here. When no pipe can be made (out of file
 * descriptors), a direction copies through the loop's {@link #scratch} buffer instead: counted, and
 * logged at most once a second. Not thread-safe, except {@link #withoutPipe}.
 */
final class PipePool {
  static final int PIPE_SIZE = 1 << 18;
  private static final int MAX_IDLE = 64;
  private static final int SCRATCH_SIZE = 1 << 16;
  private static final Logger log = LoggerFactory.getLogger(PipePool.class);
  // Out of descriptors, every direction of every connection asks at once: a line each would flood.
  private static final LogLimiter NO_PIPE_LOG = new LogLimiter(1, 3);

  private final ArrayDeque<int[]> idle = new ArrayDeque<>();
  private final LongAdder withoutPipe = new LongAdder();
  private ByteBuffer scratch;

  /** A pipe {read end, write end}, non-blocking; null (counted, logged) if none can be made. */
  int[] take() {
    int[] pipe = idle.poll();
    if (pipe != null) {
      return pipe;
    }
    pipe = new int[2];
    if (LibC.pipe2(pipe, LibC.O_NONBLOCK | LibC.O_CLOEXEC) < 0) {
      int errno = Native.getLastError();
      withoutPipe.increment();
      if (NO_PIPE_LOG.allow()) {
        log.warn(
            "no pipe for a spliced connection (pipe2: {}): copying through user space"
                + " ({} more not logged)",
            LibC.strerror(errno),
            NO_PIPE_LOG.takeSuppressed());
      }
      return null;
    }
    // Bigger than the 64 KiB default so one splice carries several TUN segments; if the per-user
    // pipe quota says no, the default works too.
    LibC.fcntl(pipe[1], LibC.F_SETPIPE_SZ, PIPE_SIZE);
    return pipe;
  }

  /**
   * The loop's one copy buffer, for a read(2) whose bytes are written at once; a direction that
   * cannot write them all copies the rest into a buffer of its own before the next read.
   */
  ByteBuffer scratch() {
    if (scratch == null) {
      scratch = ByteBuffer.allocateDirect(SCRATCH_SIZE);
    }
    return scratch.clear();
  }

  /** Takes back a pipe: kept if {@code empty} and there is room, closed otherwise. */
  void give(int[] pipe, boolean empty) {
    if (empty && idle.size() < MAX_IDLE) {
      idle.push(pipe);
    } else {
      close(pipe);
    }
  }

  /** How many times a direction found no pipe and copied through user space; any thread. */
  long withoutPipe() {
    return withoutPipe.sum();
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
