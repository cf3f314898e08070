package dev.turnout.rules;

import java.io.IOException;
import java.net.InetAddress;
import java.util.List;

/**
 * Resolves a host name to real addresses for rules that need an IP (IP-CIDR, GEOIP, IP-ASN and
 * ipcidr rule sets without {@code no-resolve}) when a connection is known only by name.
 *
 * <p>The engine calls it at most once per {@link RuleEngine#decide decision}, only when the first
 * rule that needs an IP is reached, and uses the first address returned (as Clash does), so the
 * implementation decides the preference between IPv4 and IPv6. It must return real addresses —
 * never fake IPs — and so must not use the system resolver when that points back at Turnout. Calls
 * may block and may come from several threads at once; implementations must be thread-safe.
 */
@FunctionalInterface
public interface HostResolver {
  /** Never resolves: IP rules then match only connections whose destination IP is known. */
  HostResolver NONE = host -> List.of();

  /**
   * Returns the addresses of {@code host} (lower case, no trailing dot), best first; an empty list
   * if it has none. An {@link IOException} is treated like an empty answer: IP rules do not match.
   */
  List<InetAddress> resolve(String host) throws IOException;
}
