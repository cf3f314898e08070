package dev.turnout.relay.splice;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.turnout.netbase.LibC;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One thread with its own level-triggered epoll set, moving the bytes of many {@link SplicedPair}s.
 * A socket is in the set only while something waits on it (input to read, or output to drain a full
 * pipe into), so a finished or stalled side never spins the loop. New pairs arrive through a queue
 * and an eventfd; about once a second pairs idle longer than the timeout are closed.
 */
final class SpliceLoop implements Closeable {
  private static final Logger log = LoggerFactory.getLogger(SpliceLoop.class);
  private static final int MAX_EVENTS = 128;
  private static final long WAKE = -1;
  private static final long SWEEP_NANOS = 1_000_000_000L;

  private final int epfd;
  private final int wakeFd;
  private final long idleNanos;
  private final Memory events = new Memory((long) MAX_EVENTS * SpliceCalls.EVENT_SIZE);
  private final Memory event = new Memory(16);
  private final Memory counter = new Memory(8); // what the loop reads from the eventfd
  private final Memory one = new Memory(8); // what add() writes to it, from any thread
  private final Queue<SplicedPair> incoming = new ConcurrentLinkedQueue<>();
  private final Queue<SplicedPair> aborted = new ConcurrentLinkedQueue<>();
  private final List<SplicedPair> slots = new ArrayList<>();
  private final ArrayDeque<Integer> freeSlots = new ArrayDeque<>();
  private final PipePool pipes = new PipePool();
  private final Thread thread;
  private volatile boolean running = true;
  // Guards closed and every write to wakeFd: once the loop has ended (closed, or failed) no pair
  // may be queued where nobody will finish it, and nothing may write to the number wakeFd had.
  private final Object lifecycle = new Object();
  private boolean closed;

  SpliceLoop(String name, long idleNanos) throws IOException {
    this.idleNanos = idleNanos;
    epfd = LibC.epoll_create1(LibC.O_CLOEXEC);
    if (epfd < 0) {
      throw new IOException("epoll_create1: " + LibC.strerror(Native.getLastError()));
    }
    wakeFd = LibC.eventfd(0, LibC.O_NONBLOCK | LibC.O_CLOEXEC);
    if (wakeFd < 0 || control(LibC.EPOLL_CTL_ADD, wakeFd, LibC.EPOLLIN, WAKE) < 0) {
      int errno = Native.getLastError();
      if (wakeFd >= 0) {
        LibC.close(wakeFd);
      }
      LibC.close(epfd);
      throw new IOException("eventfd: " + LibC.strerror(errno));
    }
    one.setLong(0, 1);
    thread = new Thread(this::run, name);
    thread.setDaemon(true);
    thread.start();
  }

  /** How many times a direction found no pipe and copied through user space; any thread. */
  long withoutPipe() {
    return pipes.withoutPipe();
  }

  /** Takes over a pair from any thread. */
  void add(SplicedPair pair) {
    synchronized (lifecycle) {
      if (!closed) {
        incoming.add(pair);
        wakeUp();
        return;
      }
    }
    refuse(pair);
  }

  /**
   * Ends a pair early, from any thread: it is finished on the loop (its listener hears of it) if it
   * is still relaying; a pair already finished is left alone.
   */
  void abort(SplicedPair pair) {
    synchronized (lifecycle) {
      if (!closed) {
        aborted.add(pair);
        wakeUp();
      }
    }
  }

  /** Lets go of a pair that never reached the epoll set. */
  private static void refuse(SplicedPair pair) {
    pair.up.close();
    pair.down.close();
    LibC.close(pair.clientFd);
    LibC.close(pair.upstreamFd);
    try {
      pair.listener.closed(new IOException("splice relay stopped"));
    } catch (RuntimeException e) {
      log.warn("splice listener failed", e);
    }
  }

  /** Wakes the loop thread; the caller holds {@link #lifecycle} and the loop is not closed. */
  private void wakeUp() {
    LibC.write(wakeFd, Pointer.nativeValue(one), 8);
  }

  /** Ends every pair (each listener hears of it) and stops the thread. */
  @Override
  public void close() {
    synchronized (lifecycle) {
      running = false;
      if (!closed) {
        wakeUp();
      }
    }
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    long lastSweep = System.nanoTime();
    try {
      while (running) {
        int n = LibC.epoll_wait(epfd, Pointer.nativeValue(events), MAX_EVENTS, 1000);
        if (n < 0) {
          int errno = Native.getLastError();
          if (errno == LibC.EINTR) {
            continue;
          }
          log.error("epoll_wait failed: {}; splice relay stops", LibC.strerror(errno));
          break;
        }
        for (int i = 0; i < n; i++) {
          long offset = (long) i * SpliceCalls.EVENT_SIZE;
          int ready = events.getInt(offset);
          long data = events.getLong(offset + SpliceCalls.EVENT_DATA_OFFSET);
          if (data == WAKE) {
            LibC.read(wakeFd, Pointer.nativeValue(counter), 8);
            adoptIncoming();
            abortRequested();
          } else {
            SplicedPair pair = slots.get((int) (data >>> 1));
            if (pair != null) {
              service(pair, (data & 1) == 0 ? pair.clientFd : pair.upstreamFd, ready);
            }
          }
        }
        long now = System.nanoTime();
        if (now - lastSweep >= SWEEP_NANOS) {
          lastSweep = now;
          closeIdle(now);
        }
      }
    } catch (RuntimeException | Error e) {
      log.error("splice relay loop failed", e);
    } finally {
      synchronized (lifecycle) {
        running = false;
        closed = true; // from here add() refuses, so incoming only shrinks
      }
      SplicedPair pair;
      while ((pair = incoming.poll()) != null) {
        refuse(pair);
      }
      for (SplicedPair adopted : new ArrayList<>(slots)) {
        if (adopted != null) {
          finish(adopted, new IOException("splice relay stopped"));
        }
      }
      pipes.clear();
      LibC.close(wakeFd);
      LibC.close(epfd);
    }
  }

  private void adoptIncoming() {
    SplicedPair pair;
    while ((pair = incoming.poll()) != null) {
      Integer free = freeSlots.poll();
      if (free != null) {
        pair.slot = free;
        slots.set(free, pair);
      } else {
        pair.slot = slots.size();
        slots.add(pair);
      }
      pair.lastActive = System.nanoTime();
      pair.up.usePipes(pipes);
      pair.down.usePipes(pipes);
      service(pair, -1, LibC.EPOLLIN | LibC.EPOLLOUT);
    }
  }

  /** Pairs are queued here only after they were added, so each was adopted by now. */
  private void abortRequested() {
    SplicedPair pair;
    while ((pair = aborted.poll()) != null) {
      if (pair.slot >= 0 && slots.get(pair.slot) == pair) {
        finish(pair, new IOException("closed on request"));
      }
    }
  }

  /**
   * Moves what {@code ready} on {@code fd} allows (both ways for fd -1, and on errors), then
   * updates the epoll set.
   */
  private void service(SplicedPair pair, int fd, int ready) {
    try {
      boolean everything = fd < 0 || (ready & (LibC.EPOLLERR | LibC.EPOLLHUP)) != 0;
      if (fd >= 0 && (ready & LibC.EPOLLPRI) != 0) {
        pair.readerOf(fd).urgentData();
      }
      // Unless the peer's FIN is known to be there, a read that came up short ends the turn: the
      // level-triggered set says when more comes, and asking at once would mostly cost an EAGAIN.
      boolean ended = everything || (ready & LibC.EPOLLRDHUP) != 0;
      boolean moved = false;
      if (everything) {
        moved |= pair.up.pump(true);
        moved |= pair.down.pump(true);
      } else {
        if ((ready & (LibC.EPOLLIN | LibC.EPOLLPRI | LibC.EPOLLRDHUP)) != 0) {
          moved |= pair.readerOf(fd).pump(ended);
        }
        if ((ready & LibC.EPOLLOUT) != 0) {
          moved |= pair.writerTo(fd).pump(true);
        }
      }
      if (moved) {
        pair.lastActive = System.nanoTime();
      }
      if (pair.finished()) {
        finish(pair, null);
        return;
      }
      pair.clientInterest = watch(pair, pair.clientFd, pair.clientInterest, 0);
      pair.upstreamInterest = watch(pair, pair.upstreamFd, pair.upstreamInterest, 1);
    } catch (IOException e) {
      finish(pair, e);
    }
  }

  /** Brings {@code fd}'s registration in line with what the pair waits for; the new interest. */
  private int watch(SplicedPair pair, int fd, int current, int side) throws IOException {
    int wanted = pair.interest(fd);
    if (wanted == current) {
      return current;
    }
    int op =
        wanted == 0 ? LibC.EPOLL_CTL_DEL : current == 0 ? LibC.EPOLL_CTL_ADD : LibC.EPOLL_CTL_MOD;
    if (control(op, fd, wanted, (long) pair.slot << 1 | side) < 0) {
      throw new IOException("epoll_ctl: " + LibC.strerror(Native.getLastError()));
    }
    return wanted;
  }

  private int control(int op, int fd, int interest, long data) {
    event.setInt(0, interest);
    event.setLong(SpliceCalls.EVENT_DATA_OFFSET, data);
    return LibC.epoll_ctl(epfd, op, fd, Pointer.nativeValue(event));
  }

  private void closeIdle(long now) {
    for (SplicedPair pair : new ArrayList<>(slots)) {
      if (pair != null && now - pair.lastActive > idleNanos) {
        finish(pair, new IOException("idle timeout"));
      }
    }
  }

  /** Lets go of the pair: out of the set, pipes and duplicate descriptors closed, listener told. */
  private void finish(SplicedPair pair, Exception failure) {
    if (pair.clientInterest != 0) {
      control(LibC.EPOLL_CTL_DEL, pair.clientFd, 0, 0);
    }
    if (pair.upstreamInterest != 0) {
      control(LibC.EPOLL_CTL_DEL, pair.upstreamFd, 0, 0);
    }
    pair.up.close();
    pair.down.close();
    LibC.close(pair.clientFd);
    LibC.close(pair.upstreamFd);
    slots.set(pair.slot, null);
    freeSlots.add(pair.slot);
    try {
      pair.listener.closed(failure);
    } catch (RuntimeException e) {
      log.warn("splice listener failed", e);
    }
  }
}
