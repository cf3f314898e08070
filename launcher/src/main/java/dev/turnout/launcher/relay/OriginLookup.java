package dev.turnout.launcher.relay;

import java.net.InetSocketAddress;
import java.util.Optional;

/**
 * Maps the peer address of an accepted relay connection back to its {@link Origin}. Called on a
 * relay event loop; implementations are thread-safe and do not block.
 */
public interface OriginLookup {
  /**
   * Claims the NAT session behind {@code peer} for the lifetime of the accepted socket. Empty when
   * the connection did not come through the NAT (the relay then closes it); the implementation logs
   * why.
   */
  Optional<Origin> claim(InetSocketAddress peer);

  /** The accepted socket closed: the session may be retired. */
  void release(InetSocketAddress peer);
}
