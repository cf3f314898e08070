package dev.turnout.controller.spi;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Consumer;

/**
 * The last log events, for the controller's /logs streams: a fixed ring that logging threads write
 * into without locks or waiting, and that each reader follows with its own {@link Cursor}. A reader
 * that falls more than the ring's capacity behind loses the oldest events it has not read; its
 * cursor counts them. Publishing costs one atomic increment and one store, and nothing at all while
 * no reader is open ({@link #hasReaders}). Thread-safe.
 */
public final class LogRing {
  /** Levels in the order of {@link ConfigControl#LOG_LEVELS}, without {@code silent}. */
  public static final List<String> LEVELS = List.of("debug", "info", "warning", "error");

  /** One log line: its level (an index into {@link #LEVELS}), text and sequence number. */
  public record Event(long seq, int level, String payload) {
    public String type() {
      return LEVELS.get(level);
    }
  }

  private final AtomicReferenceArray<Event> slots;
  private final int mask;
  private final AtomicLong next = new AtomicLong();
  private final AtomicInteger readers = new AtomicInteger();

  /**
   * @param capacity events kept; rounded up to a power of two
   */
  public LogRing(int capacity) {
    if (capacity < 1 || capacity > 1 << 20) {
      throw new IllegalArgumentException("capacity must be 1 to 2^20, got " + capacity);
    }
    int size = Math.max(1, Integer.highestOneBit(capacity - 1) << 1);
    this.slots = new AtomicReferenceArray<>(size);
    this.mask = size - 1;
  }

  /** Whether any reader is open: publishers may skip formatting when none is. */
  public boolean hasReaders() {
    return readers.get() > 0;
  }

  /** Adds one event; never blocks. {@code level} indexes {@link #LEVELS}. */
  public void publish(int level, String payload) {
    long seq = next.getAndIncrement();
    slots.set((int) (seq & mask), new Event(seq, level, payload));
  }

  /** A reader that starts with the next event published. Close it when done. */
  public Cursor cursor() {
    readers.incrementAndGet();
    return new Cursor(next.get());
  }

  /** One reader's position. Used by one thread at a time. */
  public final class Cursor implements AutoCloseable {
    private long position;
    private long dropped;
    private boolean closed;

    private Cursor(long position) {
      this.position = position;
    }

    /**
     * Hands at most {@code max} unread events to {@code sink}, oldest first; returns how many.
     * Events overwritten before they were read are skipped and counted in {@link #dropped()}.
     */
    public int poll(int max, Consumer<Event> sink) {
      int delivered = 0;
      while (delivered < max && position < next.get()) {
        Event event = slots.get((int) (position & mask));
        if (event == null || event.seq() < position) {
          break; // claimed by a publisher that has not stored it yet
        }
        if (event.seq() > position) {
          // Lapped: the slot holds a newer event, so the oldest one kept is past our position.
          long oldest = Math.max(position + 1, next.get() - slots.length());
          dropped += oldest - position;
          position = oldest;
          continue;
        }
        sink.accept(event);
        position++;
        delivered++;
      }
      return delivered;
    }

    /** Events this reader lost because it fell too far behind. */
    public long dropped() {
      return dropped;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        readers.decrementAndGet();
      }
    }
  }
}
