package dev.turnout.fakedns;

import java.net.InetSocketAddress;
import java.util.concurrent.CompletableFuture;

/**
 * Where one upstream server is: its literal address, or its name resolved (A records) through the
 * {@code default-nameserver} upstream at each use, which caches by TTL and never returns an address
 * in the fake-IP range. Immutable and thread-safe.
 */
final class ServerAddress {
  private final Nameserver server;
  private final Upstream bootstrap; // null when the server is a literal

  /**
   * @throws IllegalArgumentException when the server is given by name and there is no bootstrap
   */
  ServerAddress(Nameserver server, Upstream bootstrap) {
    if (server.needsResolving() && bootstrap == null) {
      throw new IllegalArgumentException(
          "nameserver "
              + server
              + " is given by name: set default-nameserver (plain IP servers) to resolve it");
    }
    this.server = server;
    this.bootstrap = server.needsResolving() ? bootstrap : null;
  }

  /** The server's address; fails (an {@code IOException}) when its name does not resolve. */
  CompletableFuture<InetSocketAddress> resolve() {
    if (bootstrap == null) {
      return CompletableFuture.completedFuture(server.address());
    }
    return bootstrap
        .resolveIpv4(server.host())
        .thenApply(addresses -> new InetSocketAddress(addresses.get(0), server.port()));
  }
}
