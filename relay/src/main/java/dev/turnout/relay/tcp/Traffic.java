package dev.turnout.relay.tcp;

/** Byte counters of one relayed connection. Both pipes run on the same event loop. */
final class Traffic {
  private long up;
  private long down;

  void add(boolean upstream, long bytes) {
    if (upstream) {
      up += bytes;
    } else {
      down += bytes;
    }
  }

  long up() {
    return up;
  }

  long down() {
    return down;
  }
}
