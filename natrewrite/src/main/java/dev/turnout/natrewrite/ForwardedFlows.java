package dev.turnout.natrewrite;

import java.util.function.LongSupplier;

/**
 * Told of every TCP flow the kernel forwards ({@link FlowFilter.Action#FORWARD}), so that they can
 * be listed like relayed ones (the controller's connections): {@link #started} when the flow's NAT
 * entry is made, on the TUN thread, and {@link #ended} once with what it returned when the flow is
 * over (its RST or second FIN passed, it was closed, or its entry was freed), on whichever thread
 * saw that. Both must be quick, must not block and must not call back into the NAT table; what they
 * throw is logged and ignored. Thread-safety: implementations must be thread-safe.
 */
public interface ForwardedFlows {
  /** Lists nothing. */
  ForwardedFlows NONE =
      new ForwardedFlows() {
        @Override
        public Object started(
            NatFlow flow, Runnable close, LongSupplier upload, LongSupplier download) {
          return null;
        }

        @Override
        public void ended(Object handle) {}
      };

  /**
   * A flow is forwarded from now on.
   *
   * @param close ends it: frees its NAT entry at once, so that its next segment from the app is
   *     answered with a RST (the fast path no longer carries it); any thread, any number of times
   * @param upload the flow's TCP payload bytes toward its destination so far, where they passed
   *     (the TUN, the kernel's fast path); any thread, each reading may cost a system call; only
   *     meaningful until {@link #ended}
   * @param download the same toward the app
   * @return a handle for {@link #ended}, or null
   */
  Object started(NatFlow flow, Runnable close, LongSupplier upload, LongSupplier download);

  /** The flow is over; {@code handle} is what {@link #started} returned. */
  void ended(Object handle);

  /**
   * A forwarded flow's destination did not answer its SYN in time ({@link
   * NatTable#DEFAULT_FORWARDED_ANSWER_TIMEOUT}); the flow's entry is gone, and its {@link #ended}
   * follows. The app's next SYN is judged again: forwarding it to the same address would fail the
   * same way, where the relay would try the name's other addresses.
   *
   * @param address the IPv4 address (big-endian) that did not answer
   * @param port the port the SYN went to
   */
  default void unanswered(int address, int port) {}
}
