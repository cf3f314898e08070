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
 * once the pipe is empty, so half-close passes through. The pipe is held only while bytes are on
 * their way: once it is empty and the input is drained it goes back to the loop's {@link PipePool},
 * so an idle connection costs its two sockets and no more. A read shorter than the pipe counts as
 * drained unless the peer's FIN is known to wait: keep-alive traffic is one small read per turn,
 * and asking again would cost a splice that says "try again" per direction and request (a third of
 * the loop's calls); the level-triggered epoll set reports what comes later. Without a pipe (pipe2
 * failed: out of file descriptors) the bytes are copied through user space instead, and the next
 * input tries for a pipe again. Not thread-safe: one {@link SpliceLoop}.
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
   * @param untilEmpty read until the input says "try again" (or ends); false: a read shorter than
   *     the pipe ends the turn, as the input was most likely emptied by it
   * @return true if any byte moved in or out
   * @throws IOException on a socket error (reset, broken pipe): the connection is over
   */
  boolean pump(boolean untilEmpty) throws IOException {
    long before = delivered;
    boolean progress = pumpInput(untilEmpty);
    return progress || delivered != before;
  }

  private boolean pumpInput(boolean untilEmpty) throws IOException {
    long moved = 0;
    while (true) {
      if (!flush()) {
        return moved > 0;
      }
      if (endOfInput) {
        releasePipe();
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
      if (!ensurePipe()) {
        urgent = false; // read(2) skips the urgent byte anyway
        long read = readIntoHead("read");
        if (read > 0) {
          moved += read;
        } else if (read == 0) {
          endOfInput = true;
        } else {
          return moved > 0;
        }
        continue;
      }
      long n = LibC.splice(from, 0, pipeWrite, 0, PipePool.PIPE_SIZE, FLAGS);
      int errno = n < 0 ? Native.getLastError() : 0;
      if (n > 0) {
        inPipe += n;
        moved += n;
        if (!untilEmpty && n < PipePool.PIPE_SIZE && !urgent) {
          if (flush()) {
            releasePipe();
          }
          return true;
        }
      } else if (urgent && (n == 0 || errno == EAGAIN)) {
        urgent = false; // if more urgent data waits, EPOLLPRI says so again
        long read = readIntoHead("read at the urgent mark");
        if (read > 0) {
          moved += read; // written already, or what is left now the head
        } else if (read == 0) {
          endOfInput = true;
        } else {
          releasePipe();
          return moved > 0;
        }
      } else if (n == 0) {
        endOfInput = true;
      } else if (errno == EAGAIN) {
        releasePipe(); // empty: an idle connection holds its two sockets and nothing more
        return moved > 0;
      } else if (errno != EINTR) {
        throw failure(errno, "splice from the socket");
      }
    }
  }

  /**
   * One read(2) from {@code from} into the loop's scratch buffer (the head and pipe are empty
   * here), written to {@code to} at once; what {@code to} does not take becomes a head of its own.
   * Used without a pipe, and at the urgent mark, where the kernel's read skips the urgent byte. The
   * bytes read, 0 at end of input, -1 if none yet.
   */
  private long readIntoHead(String what) throws IOException {
    ByteBuffer buffer = pipes.scratch();
    long address = Pointer.nativeValue(Native.getDirectBufferPointer(buffer));
    while (true) {
      long n = LibC.read(from, address, buffer.capacity());
      if (n >= 0) {
        if (n > 0) {
          head = buffer.limit((int) n);
          if (!flush()) {
            head =
                ByteBuffer.allocateDirect(head.remaining()).put(head).flip(); // scratch is shared
          }
        }
        return n;
      }
      if (!retryable(Native.getLastError(), what)) {
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

  /** True once this direction has a pipe; false if none can be made now (out of descriptors). */
  private boolean ensurePipe() {
    if (pipe == null) {
      pipe = pipes.take();
      if (pipe == null) {
        return false;
      }
      pipeRead = pipe[0];
      pipeWrite = pipe[1];
    }
    return true;
  }

  /** Gives the pipe, empty here, back to the loop's pool until more data comes in. */
  private void releasePipe() {
    if (pipe != null && inPipe == 0) {
      close();
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
