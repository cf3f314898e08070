package dev.turnout.outbound;

import dev.turnout.netbase.IpLiterals;
import java.net.InetAddress;

/**
 * Where a connection wants to go. {@code host} is the name the application asked for (null when it
 * connected to a literal address); {@code address} is the real address when known. Never a fake IP:
 * the relay replaces those by the name before building a destination.
 */
public record Destination(String host, InetAddress address, int port) {
  public Destination {
    if (host == null && address == null) {
      throw new IllegalArgumentException("a destination needs a host or an address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
  }

  @Override
  public String toString() {
    return host != null ? host + ":" + port : IpLiterals.format(address, port);
  }
}
