package dev.turnout.inbound;

import dev.turnout.netbase.Cidr;
import java.net.InetAddress;
import java.util.List;

/**
 * Which clients of another host a listener serves ({@code lan-allowed-ips}, {@code
 * lan-disallowed-ips}): those in an allowed prefix and in no disallowed one; the disallowed list
 * wins. This host's own clients (loopback) are always served: the lists are about the LAN.
 * Immutable and thread-safe.
 */
public final class ClientFilter {
  /** Serves everyone (mihomo's default: 0.0.0.0/0 and ::/0 allowed, nothing disallowed). */
  public static final ClientFilter ALL = new ClientFilter(null, List.of());

  private final List<Cidr> allowed; // null: every address
  private final List<Cidr> disallowed;

  private ClientFilter(List<Cidr> allowed, List<Cidr> disallowed) {
    this.allowed = allowed;
    this.disallowed = disallowed;
  }

  public static ClientFilter of(List<Cidr> allowed, List<Cidr> disallowed) {
    return new ClientFilter(List.copyOf(allowed), List.copyOf(disallowed));
  }

  /** Whether a connection or datagram from {@code client} is served. */
  public boolean admits(InetAddress client) {
    if (client.isLoopbackAddress()) {
      return true;
    }
    for (Cidr prefix : disallowed) {
      if (prefix.contains(client)) {
        return false;
      }
    }
    if (allowed == null) {
      return true;
    }
    for (Cidr prefix : allowed) {
      if (prefix.contains(client)) {
        return true;
      }
    }
    return false;
  }

  /** The same lists (a reload compares listeners). */
  @Override
  public boolean equals(Object o) {
    return o instanceof ClientFilter f
        && java.util.Objects.equals(f.allowed, allowed)
        && f.disallowed.equals(disallowed);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hashCode(allowed) * 31 + disallowed.hashCode();
  }
}
