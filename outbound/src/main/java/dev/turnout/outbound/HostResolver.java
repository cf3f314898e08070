package dev.turnout.outbound;

import java.net.InetAddress;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * Resolves real addresses for outbound dialing. Implementations must never consult the system
 * resolver (it points at Turnout) and never return an address inside Turnout's own TUN range.
 */
@FunctionalInterface
public interface HostResolver {
  CompletionStage<List<InetAddress>> resolve(String host);
}
