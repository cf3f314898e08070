package dev.turnout.launcher;

import dev.turnout.fakedns.Upstream;
import java.io.IOException;
import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Names resolved through the configured upstream servers, never the system resolver (which points
 * at Turnout itself): asynchronously for dialers, blocking with a timeout for rules that need an
 * address.
 */
final class UpstreamResolver {
  private static final long BLOCKING_TIMEOUT_SECONDS = 5;

  private final Upstream upstream;

  UpstreamResolver(Upstream upstream) {
    this.upstream = upstream;
  }

  /** For dialers: completes with the addresses, or fails. */
  dev.turnout.outbound.HostResolver forDialing() {
    return host -> upstream.resolveIpv4(host).thenApply(List::<InetAddress>copyOf);
  }

  /** For rules: blocks up to 5 s; a failure is an {@link IOException}. */
  dev.turnout.rules.HostResolver forRules() {
    return host -> {
      try {
        return List.copyOf(
            upstream.resolveIpv4(host).get(BLOCKING_TIMEOUT_SECONDS, TimeUnit.SECONDS));
      } catch (ExecutionException | TimeoutException e) {
        throw new IOException("cannot resolve " + host + ": " + e.getMessage(), e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted resolving " + host, e);
      }
    };
  }
}
