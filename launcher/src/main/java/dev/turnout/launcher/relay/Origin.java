package dev.turnout.launcher.relay;

import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * What an accepted connection really was before the NAT rewrote it: the application's own socket
 * address, the address it dialed (often a fake IP), and what that address stands for — the name
 * behind a fake IP, or the real address when the application dialed a literal one.
 */
public record Origin(
    boolean udp,
    InetSocketAddress source,
    InetSocketAddress dialed,
    String host,
    InetAddress realAddress) {

  public int port() {
    return dialed.getPort();
  }

  /** The destination as people read it: the name when there is one. */
  public String target() {
    return (host != null ? host : dialed.getAddress().getHostAddress()) + ":" + port();
  }
}
