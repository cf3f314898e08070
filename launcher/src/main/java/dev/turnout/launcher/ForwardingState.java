package dev.turnout.launcher;

import dev.turnout.netbase.TimeSource;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What the kernel forwarding of DIRECT flows ({@link DirectNat}) learns while Turnout runs, kept
 * across reloads: whether the host is set up for it, and which destinations (address and port)
 * lately left a forwarded SYN unanswered. The relay races a name's addresses (Happy Eyeballs) where
 * the kernel can only send a flow to one: for {@value #UNANSWERED_SECONDS} s after a destination
 * did not answer, flows to it are relayed, so that a name with a dead address costs an app one slow
 * connection, not every one. At most {@value #MAX_UNANSWERED} destinations are held; cleared whole
 * beyond that. Thread-safe; never blocks.
 */
final class ForwardingState {
  static final int UNANSWERED_SECONDS = 60;
  private static final int MAX_UNANSWERED = 4096;

  private final TimeSource clock;
  private volatile boolean ready;
  // IPv4 address (big-endian) << 16 | port -> when it did not answer, as a TimeSource.nanoTime
  private final ConcurrentHashMap<Long, Long> unanswered = new ConcurrentHashMap<>();

  ForwardingState(TimeSource clock) {
    this.clock = clock;
  }

  ForwardingState() {
    this(TimeSource.SYSTEM);
  }

  /** The host forwards and masquerades the TUN's NAT pool from now on. */
  void ready() {
    ready = true;
  }

  boolean isReady() {
    return ready;
  }

  /**
   * {@code address} (IPv4, big-endian) left a forwarded SYN to {@code port} unanswered just now.
   */
  void unanswered(int address, int port) {
    if (unanswered.size() >= MAX_UNANSWERED) {
      unanswered.clear();
    }
    unanswered.put(key(address, port), clock.nanoTime());
  }

  /**
   * False for {@value #UNANSWERED_SECONDS} s after {@code address} left a SYN to {@code port}
   * unanswered.
   */
  boolean mayForwardTo(int address, int port) {
    if (unanswered.isEmpty()) { // the common case: no lookup, no boxing
      return true;
    }
    long key = key(address, port);
    Long since = unanswered.get(key);
    if (since == null) {
      return true;
    }
    if (clock.nanoTime() - since < UNANSWERED_SECONDS * 1_000_000_000L) {
      return false;
    }
    unanswered.remove(key, since);
    return true;
  }

  private static long key(int address, int port) {
    return Integer.toUnsignedLong(address) << 16 | port;
  }
}
