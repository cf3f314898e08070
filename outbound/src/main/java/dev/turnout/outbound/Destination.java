package dev.turnout.outbound;

import dev.turnout.netbase.IpLiterals;
import java.net.InetAddress;
import java.util.function.Predicate;

/**
 * Where a connection wants to go. {@code host} is the name the application asked for (null when it
 * connected to a literal address); {@code address} is the real address when known. Never a fake IP:
 * the relay replaces those by the name before building a destination.
 *
 * <p>{@code localPermit} says which of this host's own addresses (loopback, unspecified, its
 * interfaces' addresses) DIRECT may dial for this destination. None, normally: an application or a
 * LAN host must not reach services that listen only on this host by way of Turnout. A rule that
 * names such a range explicitly ({@code IP-CIDR,127.0.0.0/8,DIRECT}) permits that range; a server
 * the configuration names (an upstream DNS server, a health-check URL) is permitted as written.
 * Proxies ignore it: their server is not the destination.
 */
public record Destination(
    String host, InetAddress address, int port, Predicate<InetAddress> localPermit) {
  /** Permits none of this host's own addresses. */
  public static final Predicate<InetAddress> NO_LOCAL = a -> false;

  /** Permits all of them: for destinations the configuration names. */
  public static final Predicate<InetAddress> ANY_LOCAL = a -> true;

  public Destination {
    if (host == null && address == null) {
      throw new IllegalArgumentException("a destination needs a host or an address");
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port out of range: " + port);
    }
    if (localPermit == null) {
      localPermit = NO_LOCAL;
    }
  }

  /** A destination that permits none of this host's own addresses. */
  public Destination(String host, InetAddress address, int port) {
    this(host, address, port, NO_LOCAL);
  }

  /**
   * The destination a proxy request's name field names: an IP literal written as a name goes by
   * address, as clients send them so; null for a name no request may carry (empty, or with spaces,
   * control characters or non-ASCII).
   */
  public static Destination ofRequestedName(String name, int port) {
    if (name.isEmpty() || !name.chars().allMatch(c -> c > ' ' && c < 0x7f)) {
      return null;
    }
    InetAddress literal = IpLiterals.parseHostOrNull(name);
    return literal != null
        ? new Destination(null, literal, port)
        : new Destination(name, null, port);
  }

  /** The longest name a proxy request can carry: its length goes in one byte. */
  public static final int MAX_NAME_BYTES = 255;

  /**
   * The host as proxy protocols send it: its ASCII bytes, or null when the destination goes by
   * address (no host, or a host that is an IP literal). Protocols call this before they allocate
   * anything, so a name they cannot carry costs nothing.
   *
   * @throws IllegalArgumentException when no proxy request can carry the name: longer than {@value
   *     #MAX_NAME_BYTES} bytes, or not ASCII
   */
  public byte[] nameBytes() {
    if (host == null || IpLiterals.parseHostOrNull(host) != null) {
      return null;
    }
    if (host.isEmpty() || host.length() > MAX_NAME_BYTES) {
      throw new IllegalArgumentException(
          "a host name of " + host.length() + " characters cannot be sent to a proxy");
    }
    byte[] name = new byte[host.length()];
    for (int i = 0; i < name.length; i++) {
      char c = host.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        throw new IllegalArgumentException("a host name with a character a proxy cannot carry");
      }
      name[i] = (byte) c;
    }
    return name;
  }

  /** The address to send when {@link #nameBytes} is null: the literal host, or the address. */
  public InetAddress literal() {
    return host != null ? IpLiterals.parseHostOrNull(host) : address;
  }

  @Override
  public String toString() {
    return host != null ? host + ":" + port : IpLiterals.format(address, port);
  }
}
