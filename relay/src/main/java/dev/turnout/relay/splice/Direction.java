package dev.turnout.relay.splice;

import static dev.turnout.netbase.LibC.EAGAIN;
import static dev.turnout.netbase.LibC.EINTR;

import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.turnout.netbase.LibC;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * One way of a spliced connection: socket {@code from} → a pipe → socket {@code to}. The bytes
 * never enter user space: splice(2) moves page references from the receive queue into the pipe and
 * from the pipe into the send queue. Backpressure is the pipe: while it holds bytes that {@code to}
 * cannot take, {@code from} is not read. End of input becomes a shutdown of {@code to}'s output
 * once the pipe is empty, so half-close passes through. Not thread-safe: one {@link SpliceLoop}.
 *
 * <p>TCP urgent data needs a plain read: splice(2) stops at the urgent mark and never passes it (it
 * reports "try again", or end of input if a FIN follows), while read(2) skips the urgent byte as
 * Netty's relay does. The loop watches for EPOLLPRI and says so through {@link #urgentData}.
 */
final class Direction {
  /** At most this much is moved per wake-up, so one busy connection cannot starve the others. */
  private static final long BUDGET = 4L << 20;

  private static final int FLAGS = LibC.SPLICE_F_MOVE | LibC.SPLICE_F_NONBLOCK;

  final int from;
  final int to;
  final boolean upstream;
  private final SpliceListener listener;
  private ByteBuffer head; // bytes read before the hand-over, written first
  private PipePool pipes; // set by the loop that runs this direction
  private int[] pipe; // {read end, write end} once data has come in
  private int pipeRead = -1;
  private int pipeWrite = -1;
  private long inPipe;
  private boolean endOfInput;
  private boolean outputShut;
  private boolean blockedOnWrite;
  private boolean urgent; // the peer sent urgent data that may stop the next splice at its mark
  private long delivered; // bytes written to {@code to}, for activity

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

  /** Where this direction gets its pipe from; set once by the loop that adopts it. */
  void usePipes(PipePool pool) {
    this.pipes = pool;
  }

  /** True while {@code from} should be watched for input. */
  boolean wantsInput() {
    return !endOfInput && !blockedOnWrite;
  }

  /** True while bytes wait for {@code to} to become writable. */
  boolean wantsOutput() {
    return blockedOnWrite;
  }

  /** {@code from} has urgent data pending (EPOLLPRI): read past its mark when splice stops. */
  void urgentData() {
    urgent = true;
  }

  /** True once everything is delivered and {@code to}'s output is shut. */
  boolean finished() {
    return outputShut;
  }

  /**
   * Moves what can be moved now without blocking.
   *
   * @return true if any byte moved in or out
   * @throws IOException on a socket error (reset, broken pipe): the connection is over
   */
  boolean pump() throws IOException {
    long before = delivered;
    boolean progress = pumpInput();
    return progress || delivered != before;
  }

  private boolean pumpInput() throws IOException {
    long moved = 0;
    while (true) {
      if (!flush()) {
        return moved > 0;
      }
      if (endOfInput) {
        if (!outputShut) {
          outputShut = true;
          if (LibC.shutdown(to, LibC.SHUT_WR) < 0) {
            throw failure("shutdown");
          }
        }
        return moved > 0;
      }
      if (moved >= BUDGET) {
        return true; // level-triggered: the loop comes back for the rest
      }
      ensurePipe();
      long n = LibC.splice(from, 0, pipeWrite, 0, PipePool.PIPE_SIZE, FLAGS);
      int errno = n < 0 ? Native.getLastError() : 0;
      if (n > 0) {
        inPipe += n;
        moved += n;
      } else if (urgent && (n == 0 || errno == EAGAIN)) {
        urgent = false; // if more urgent data waits, EPOLLPRI says so again
        long read = readPastUrgentMark();
        if (read > 0) {
          moved += read; // now the head, written on the next turn
        } else if (read == 0) {
          endOfInput = true;
        } else {
          return moved > 0;
        }
      } else if (n == 0) {
        endOfInput = true;
      } else if (errno == EAGAIN) {
        releaseEmptyPipe();
        return moved > 0;
      } else if (errno != EINTR) {
        throw failure(errno, "splice from the socket");
      }
    }
  }

  /**
   * One read(2) from {@code from} into a new head (the head and pipe are empty here): at the urgent
   * mark the kernel skips the urgent byte. The bytes read, 0 at end of input, -1 if none yet.
   */
  private long readPastUrgentMark() throws IOException {
    ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 16); // rare: no pooling
    long address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    while (true) {
      long n = LibC.read(from, address, buffer.capacity());
      if (n >= 0) {
        if (n > 0) {
          head = buffer.limit((int) n);
        }
        return n;
      }
      if (!retryable(Native.getLastError(), "read at the urgent mark")) {
        return -1;
      }
    }
  }

  /** Writes the head, then empties the pipe into {@code to}; false if {@code to} is full. */
  private boolean flush() throws IOException {
    while (head != null) {
      long n =
          LibC.write(
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
      delivered += n;
      listener.transferred(upstream, n);
      if (!head.hasRemaining()) {
        head = null;
      }
    }
    while (inPipe > 0) {
      long n = LibC.splice(pipeRead, 0, to, 0, inPipe, FLAGS);
      if (n < 0) {
        if (!retryable(Native.getLastError(), "splice to the socket")) {
          blockedOnWrite = true;
          return false;
        }
        continue;
      }
      inPipe -= n;
      delivered += n;
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
    if (pipe == null) {
      pipe = pipes.take();
      pipeRead = pipe[0];
      pipeWrite = pipe[1];
    }
  }

  /**
   * Nothing more to read for now and nothing in the pipe: the pipe goes back to the pool, so a
   * connection holds one only while its bytes are under way (most of the time a side has nothing to
   * send, and a pool of empty pipes serves many connections).
   */
  private void releaseEmptyPipe() {
    if (pipe != null && inPipe == 0) {
      pipes.give(pipe, true);
      pipe = null;
      pipeRead = pipeWrite = -1;
    }
  }

  /** Returns the pipe; one still holding bytes (the connection failed) is closed, not reused. */
  void close() {
    if (pipe != null) {
      pipes.give(pipe, inPipe == 0);
      pipe = null;
      pipeRead = pipeWrite = -1;
    }
  }

  private static IOException failure(String what) {
    return failure(Native.getLastError(), what);
  }

  private static IOException failure(int errno, String what) {
    return new IOException(what + ": " + LibC.strerror(errno));
  }
}
