package dev.turnout.fakedns;

import dev.turnout.netbase.IpLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * One parsed {@code nameserver} entry: a literal address, a port, the transport to use and, for DNS
 * over HTTPS, the request path.
 */
record Nameserver(InetSocketAddress address, Protocol protocol, String path) {
  static final String ACCEPTED =
      "accepted forms: IP, IP:port, [IPv6]:port, udp://IP[:port], tcp://IP[:port],"
          + " tls://IP[:port] (DNS over TLS, port 853 by default),"
          + " https://IP[:port][/path] (DNS over HTTPS, /dns-query by default);"
          + " literal addresses only, and TLS certificates must be valid for that address";

  enum Protocol {
    UDP("udp", 53),
    TCP("tcp", 53),
    TLS("tls", 853),
    HTTPS("https", 443);

    final String scheme;
    final int defaultPort;

    Protocol(String scheme, int defaultPort) {
      this.scheme = scheme;
      this.defaultPort = defaultPort;
    }
  }

  /** Whether queries go over TCP (plain). */
  boolean tcp() {
    return protocol == Protocol.TCP;
  }

  /**
   * Parses {@code spec} without any name resolution: host names are rejected, since resolving them
   * would go through the system resolver, which may point back at Turnout.
   *
   * @throws IllegalArgumentException if {@code spec} is not one of {@link #ACCEPTED}
   */
  static Nameserver parse(String spec) {
    String s = spec.strip();
    Protocol protocol = Protocol.UDP;
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      String name = s.substring(0, scheme);
      protocol = null;
      for (Protocol p : Protocol.values()) {
        if (p.scheme.equalsIgnoreCase(name)) {
          protocol = p;
        }
      }
      if (protocol == null) {
        throw invalid(spec);
      }
      s = s.substring(scheme + 3);
    }
    String path = null;
    if (protocol == Protocol.HTTPS) {
      int slash = s.indexOf('/');
      path = slash < 0 ? "/dns-query" : s.substring(slash);
      s = slash < 0 ? s : s.substring(0, slash);
      if (!path.chars().allMatch(c -> c > 0x20 && c < 0x7f && c != '#')) {
        throw invalid(spec);
      }
    }
    String host = s;
    int port = protocol.defaultPort;
    if (s.startsWith("[")) {
      int close = s.indexOf(']');
      if (close < 0) {
        throw invalid(spec);
      }
      host = s.substring(1, close);
      String rest = s.substring(close + 1);
      if (!rest.isEmpty()) {
        if (!rest.startsWith(":")) {
          throw invalid(spec);
        }
        port = parsePort(rest.substring(1), spec);
      }
    } else if (s.indexOf(':') >= 0 && s.indexOf(':') == s.lastIndexOf(':')) {
      host = s.substring(0, s.indexOf(':'));
      port = parsePort(s.substring(s.indexOf(':') + 1), spec);
    }
    InetAddress address = IpLiterals.parseOrNull(host);
    if (address == null) {
      throw invalid(spec);
    }
    return new Nameserver(new InetSocketAddress(address, port), protocol, path);
  }

  private static int parsePort(String s, String spec) {
    try {
      int port = Integer.parseInt(s);
      if (port >= 1 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // fall through
    }
    throw invalid(spec);
  }

  private static IllegalArgumentException invalid(String spec) {
    return new IllegalArgumentException("unsupported nameserver '" + spec + "'; " + ACCEPTED);
  }

  @Override
  public String toString() {
    String host = address.getAddress().getHostAddress();
    return protocol.scheme
        + "://"
        + (host.indexOf(':') >= 0 ? "[" + host + "]" : host)
        + ":"
        + address.getPort()
        + (path == null ? "" : path);
  }
}
