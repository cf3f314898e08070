package dev.turnout.launcher.relay.splice;

import static dev.turnout.launcher.relay.splice.SpliceCalls.EAGAIN;
import static dev.turnout.launcher.relay.splice.SpliceCalls.EINTR;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One way of a spliced connection: socket {@code from} → a pipe → socket {@code to}. The bytes
 * never enter user space: splice(2) moves page references from the receive queue into the pipe and
 * from the pipe into the send queue. Backpressure is the pipe: while it holds bytes that {@code to}
 * cannot take, {@code from} is not read. End of input becomes a shutdown of {@code to}'s output
 * once the pipe is empty, so half-close passes through. Not thread-safe: one {@link SpliceLoop}.
 */
final class Direction {
  /** At most this much is moved per wake-up, so one busy connection cannot starve the others. */
  private static final long BUDGET = 4L << 20;

  private static final int PIPE_SIZE = 1 << 18;
  private static final int FLAGS = SpliceCalls.SPLICE_F_MOVE | SpliceCalls.SPLICE_F_NONBLOCK;

  final int from;
  final int to;
  final boolean upstream;
  private final SpliceListener listener;
  private ByteBuffer head; // bytes read before the hand-over, written first
  private int pipeRead = -1;
  private int pipeWrite = -1;
  private long inPipe;
  private boolean endOfInput;
  private boolean outputShut;
  private boolean blockedOnWrite;

  Direction(
      int from,
      int to,
      boolean upstream,
      ByteBuffer head,
      boolean endOfInput,
      SpliceListener listener) {
    this.from = from;
    this.to = to;
    this.upstream = upstream;
    this.head = head != null && head.hasRemaining() ? head : null;
    this.endOfInput = endOfInput;
    this.listener = listener;
  }

  /** True while {@code from} should be watched for input. */
  boolean wantsInput() {
    return !endOfInput && !blockedOnWrite;
  }

  /** True while bytes wait for {@code to} to become writable. */
  boolean wantsOutput() {
    return blockedOnWrite;
  }

  /** True once everything is delivered and {@code to}'s output is shut. */
  boolean finished() {
    return outputShut;
  }

  /**
   * Moves what can be moved now without blocking.
   *
   * @return true if any byte moved
   * @throws IOException on a socket error (reset, broken pipe): the connection is over
   */
  boolean pump() throws IOException {
    long moved = 0;
    while (true) {
      if (!flush()) {
        return moved > 0;
      }
      if (endOfInput) {
        if (!outputShut) {
          outputShut = true;
          if (SpliceCalls.shutdown(to, SpliceCalls.SHUT_WR) < 0) {
            throw failure("shutdown");
          }
        }
        return moved > 0;
      }
      if (moved >= BUDGET) {
        return true; // level-triggered: the loop comes back for the rest
      }
      ensurePipe();
      long n = SpliceCalls.splice(from, 0, pipeWrite, 0, PIPE_SIZE, FLAGS);
      if (n > 0) {
        inPipe += n;
        moved += n;
      } else if (n == 0) {
        endOfInput = true;
      } else {
        int errno = Native.getLastError();
        if (errno == EAGAIN) {
          return moved > 0;
        }
        if (errno != EINTR) {
          throw failure(errno, "splice from the socket");
        }
      }
    }
  }

  /** Writes the head, then empties the pipe into {@code to}; false if {@code to} is full. */
  private boolean flush() throws IOException {
    while (head != null) {
      long n =
          SpliceCalls.write(
              to,
              Pointer.nativeValue(Native.getDirectBufferPointer(head)) + head.position(),
              head.remaining());
      if (n < 0) {
        if (!retryable(Native.getLastError(), "write")) {
          blockedOnWrite = true;
          return false;
        }
        continue;
      }
      head.position(head.position() + (int) n);
      listener.transferred(upstream, n);
      if (!head.hasRemaining()) {
        head = null;
      }
    }
    while (inPipe > 0) {
      long n = SpliceCalls.splice(pipeRead, 0, to, 0, inPipe, FLAGS);
      if (n < 0) {
        if (!retryable(Native.getLastError(), "splice to the socket")) {
          blockedOnWrite = true;
          return false;
        }
        continue;
      }
      inPipe -= n;
      listener.transferred(upstream, n);
    }
    blockedOnWrite = false;
    return true;
  }

  /** True after EINTR (try again), false after EAGAIN (wait); throws on anything else. */
  private boolean retryable(int errno, String what) throws IOException {
    if (errno == EINTR) {
      return true;
    }
    if (errno == EAGAIN) {
      return false;
    }
    throw failure(errno, what);
  }

  private void ensurePipe() throws IOException {
    if (pipeRead >= 0) {
      return;
    }
    int[] fds = new int[2];
    if (SpliceCalls.pipe2(fds, SpliceCalls.O_NONBLOCK | SpliceCalls.O_CLOEXEC) < 0) {
      throw failure("pipe2");
    }
    pipeRead = fds[0];
    pipeWrite = fds[1];
    // Bigger than the 64 KiB default so one splice carries several TUN segments; if the per-user
    // pipe quota says no, the default works too.
    SpliceCalls.fcntl(pipeWrite, SpliceCalls.F_SETPIPE_SZ, PIPE_SIZE);
  }

  /** Closes the pipe; bytes still in it are lost, which only happens when the connection failed. */
  void close() {
    if (pipeRead >= 0) {
      SpliceCalls.close(pipeRead);
      SpliceCalls.close(pipeWrite);
      pipeRead = pipeWrite = -1;
    }
  }

  private static IOException failure(String what) {
    return failure(Native.getLastError(), what);
  }

  private static IOException failure(int errno, String what) {
    return new IOException(what + ": " + SpliceCalls.strerror(errno));
  }
}
