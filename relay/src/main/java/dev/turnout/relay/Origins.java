package dev.turnout.relay;

import dev.turnout.natrewrite.NatFlow;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Maps the peer of a relayed connection or datagram — a NAT session address — back to the flow the
 * application opened and to what its destination stands for ({@link Origin}). The only way into the
 * relay: a peer that is not a live NAT session is refused.
 *
 * <p>Called on relay event loops: implementations are thread-safe and never block. A fake
 * destination is pinned from {@link #claim} (TCP) or {@link #udpOrigin} (UDP) until {@link
 * #release} or {@link #udpClosed}, so the fake-IP pool never hands the address of a live flow to
 * another name.
 */
public interface Origins {
  /**
   * Claims the TCP session behind {@code peer} for the lifetime of the accepted socket. Empty when
   * the connection did not come through the NAT or its fake destination has no name any more; the
   * implementation logs why.
   */
  Optional<Origin> claim(InetSocketAddress peer);

  /** The socket accepted from {@code peer} closed: the session and its pin may go. */
  void release(InetSocketAddress peer);

  /**
   * The live UDP flow behind {@code peer}, or empty if the datagram did not come through the NAT.
   * Called for every datagram, so it must be cheap. Equal flows mean the same session; a different
   * flow for a known peer means its session address was freed and reused. Each call counts as
   * activity of the flow: the NAT keeps its entry (which the kernel fast path may bypass) alive.
   */
  Optional<NatFlow> udpFlow(InetSocketAddress peer);

  /** What a UDP flow stands for, once per session; empty (and logged) if it cannot be served. */
  Optional<Origin> udpOrigin(NatFlow flow);

  /** A UDP session opened with {@link #udpOrigin} ended: its pin may go. */
  void udpClosed(Origin origin);
}
