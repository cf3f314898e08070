package dev.turnout.fakedns;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Where a {@link Nameserver#discovered} entry finds its servers while Turnout runs: the host's
 * resolver configuration ({@link SystemSource}) or a DHCP server ({@link DhcpSource}). Thread-safe.
 */
interface ServerSource {
  /**
   * The servers (port 53) as last found; completes at once unless nothing was found yet, and fails
   * with an {@link java.io.IOException} that says why when nothing can be.
   */
  CompletableFuture<List<InetAddress>> servers();

  /** Stops what runs in the background; later calls may fail. */
  default void close() {}
}
