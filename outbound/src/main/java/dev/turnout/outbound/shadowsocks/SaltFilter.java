package dev.turnout.outbound.shadowsocks;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;

/**
 * The salts a Shadowsocks listener has seen, so that a recorded connection replayed to it is
 * refused (the protocol's only defence against replay, as shadowsocks-libev's ping-pong filter
 * does). Two generations of at most {@code generation} salts each: when the newer fills, the older
 * is dropped, so memory stays bounded and a salt is remembered for at least {@code generation} new
 * connections. Thread-safe.
 */
final class SaltFilter {
  private final int generation;
  private Set<ByteBuffer> current = new HashSet<>();
  private Set<ByteBuffer> previous = new HashSet<>();

  SaltFilter(int generation) {
    if (generation < 1) {
      throw new IllegalArgumentException("generation must be positive");
    }
    this.generation = generation;
  }

  /** Records {@code salt}; false if it was seen before (a replay). */
  synchronized boolean fresh(byte[] salt) {
    ByteBuffer key = ByteBuffer.wrap(salt.clone());
    if (previous.contains(key) || !current.add(key)) {
      return false;
    }
    if (current.size() >= generation) {
      previous = current;
      current = new HashSet<>();
    }
    return true;
  }
}
