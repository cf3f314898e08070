package dev.turnout.natrewrite;

/**
 * Where the NAT table hands the rewrite of an established TCP flow (and, through {@link #udp()}, of
 * a relayed UDP flow) to the kernel, so that its segments no longer cross the TUN. It is a cache of
 * the table's mappings: whatever it does not hold (full, failed, not yet added) the TUN path
 * carries, with the same result.
 *
 * <p>An IPv4 endpoint is an address and a port packed by {@link #endpoint}; an IPv6 one an {@link
 * Endpoint6}. An implementation without IPv6 support keeps the default {@link #add6} and {@link
 * #remove6}, which do nothing: IPv6 segments then all cross the TUN. Thread-safety: the table calls
 * it under its own lock or from the TUN thread; implementations must be thread-safe.
 */
public interface FlowOffload {
  /** No offload: every segment crosses the TUN. */
  FlowOffload NONE =
      new FlowOffload() {
        @Override
        public void add(long source, long destination, long newSource, long newDestination) {}

        @Override
        public void remove(long source, long destination) {}
      };

  /** {@code address} (as a big-endian int) and {@code port} as one value. */
  static long endpoint(int address, int port) {
    return (Integer.toUnsignedLong(address) << 16) | (port & 0xffff);
  }

  /**
   * From now on, TCP segments {@code source -> destination} that are not SYNs leave as {@code
   * newSource -> newDestination}, replacing any earlier rewrite of that tuple.
   */
  void add(long source, long destination, long newSource, long newDestination);

  /** Segments {@code source -> destination} take the TUN path again. */
  void remove(long source, long destination);

  /**
   * {@link #add} of a forwarded flow's reply direction (from its destination toward the app), where
   * the offload counts the two directions apart ({@link #forwarded()}); elsewhere just {@link
   * #add}.
   */
  default void addReply(long source, long destination, long newSource, long newDestination) {
    add(source, destination, newSource, newDestination);
  }

  /**
   * TCP payload bytes the kernel rewrote for the tuple {@code source -> destination} since it was
   * added, where the offload counts them ({@link #forwarded()}); 0 elsewhere, and once removed. May
   * cost a system call.
   */
  default long bytes(long source, long destination) {
    return 0;
  }

  /**
   * TCP payload bytes the kernel rewrote for all tuples counted ({@link #bytes}) since start, those
   * added by {@link #add} and those added by {@link #addReply}: two values, zeros where nothing is
   * counted.
   */
  default long[] bytesTotal() {
    return new long[2];
  }

  /**
   * Hands {@code to} the SYN-ACK, FIN and RST segments of forwarded flows ({@link #forwarded()})
   * that the kernel rewrote itself since the last call, in the order they passed, so that the NAT
   * table follows those flows without the segments crossing the TUN; returns how many. Every such
   * segment that reached the TUN's other end before this call is handed over by it. Where the
   * kernel does not (by default), they all cross the TUN. One thread only (the TUN's).
   */
  default int pollForwarded(Segments to) {
    return 0;
  }

  /** Told of one segment by {@link #pollForwarded}. */
  @FunctionalInterface
  interface Segments {
    /**
     * A segment {@code source -> destination} (packed by {@link #endpoint}) with TCP {@code flags},
     * as it arrived: from the app, or ({@code reply}) from the flow's destination.
     */
    void segment(long source, long destination, int flags, boolean reply);
  }

  /** {@link #add} for an IPv6 flow. */
  default void add6(
      Endpoint6 source, Endpoint6 destination, Endpoint6 newSource, Endpoint6 newDestination) {}

  /** {@link #remove} for an IPv6 flow. */
  default void remove6(Endpoint6 source, Endpoint6 destination) {}

  /**
   * The same for UDP flows, whose tuples are apart from TCP's: every datagram of a tuple added
   * there is rewritten. By default none is ({@link #NONE}): UDP then crosses the TUN.
   */
  default FlowOffload udp() {
    return NONE;
  }

  /**
   * The same for TCP flows the kernel forwards itself (DIRECT flows NAT'ed to their real
   * destination instead of the relay), IPv4 only, whose tuples are apart from the relayed ones:
   * segments of a tuple added there are rewritten; those that carry SYN, FIN or RST the NAT table
   * must see, so that it knows each such flow established and ended: they are handed over by {@link
   * #pollForwarded}, or else cross the TUN. No relay sees their bytes, so this part counts them
   * ({@link #bytes}, {@link #bytesTotal}). By default none is ({@link #NONE}): every segment of
   * them then crosses the TUN.
   */
  default FlowOffload forwarded() {
    return NONE;
  }

  /** An IPv6 address (its high and low 64 bits, network order) and a port. */
  record Endpoint6(long high, long low, int port) {}
}
