package dev.turnout.launcher.udp;

import dev.turnout.launcher.relay.Origin;
import dev.turnout.natrewrite.NatFlow;
import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Maps the sender of a datagram that reached the UDP relay listener (a NAT session address) back to
 * the app's flow. Called on the relay's event loop for every datagram, so {@link #flow} must be
 * cheap and must not block; {@link #origin} is called once per new session.
 */
public interface UdpOrigins {
  /**
   * The live flow behind {@code sessionPeer}, or empty if the datagram did not come through the
   * NAT. Equal flows mean the same session; a different flow for a known peer means its session
   * address was freed and reused.
   */
  Optional<NatFlow> flow(InetSocketAddress sessionPeer);

  /**
   * What {@code flow} stands for: the name behind a fake destination, or the real address in
   * capture-all mode. Empty (and logged) if it cannot be served, e.g. a fake IP no name maps to.
   */
  Optional<Origin> origin(NatFlow flow);
}
