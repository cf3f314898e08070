package dev.turnout.fakedns;

import dev.turnout.netbase.IpLiterals;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import org.xbill.DNS.Rcode;

/**
 * One parsed upstream server as Clash and mihomo write it: the transport, the host (a literal
 * address, or a name that {@code default-nameserver} resolves), the port, for DNS over HTTPS the
 * request path, and after {@code #} the outbound its connections go through ({@code #PROXY}; {@link
 * #RULES} for {@code respect-rules}). {@code rcode://name_error} answers every query with that
 * rcode, without asking anyone. {@code system} stands for the servers the host's resolver uses
 * ({@link SystemNameservers}) and {@code dhcp://IFACE} for those a DHCP server on that interface
 * offers ({@link DhcpSource}): both are found while Turnout runs, not written ({@link
 * #discovered}). {@code warnings} lists the parts that were ignored. Immutable.
 */
record Nameserver(
    Protocol protocol,
    String host,
    InetAddress literal,
    int port,
    String path,
    int rcode,
    String via,
    List<String> warnings) {

  /** {@link #via} of a server whose connections follow the rules ({@code respect-rules}). */
  static final String RULES = "RULES";

  static final String ACCEPTED =
      "accepted forms: IP, IP:port, [IPv6]:port, NAME[:port], udp://, tcp://, tls:// (DNS over"
          + " TLS, port 853), https://HOST[:port][/path] (DNS over HTTPS, /dns-query by default),"
          + " rcode://name_error (and the other rcodes), each optionally followed by #PROXY-NAME;"
          + " a NAME needs default-nameserver to resolve it; system (the servers of"
          + " /etc/resolv.conf) and dhcp://INTERFACE (the servers a DHCP server there offers)";

  /** What Linux allows in an interface name: at most 15 bytes, no slash, colon or blank. */
  private static final Pattern INTERFACE = Pattern.compile("[^/:\\s]{1,15}");

  private static final Pattern HOST_NAME =
      Pattern.compile("(?i)[a-z0-9_]([a-z0-9_-]{0,62})(\\.[a-z0-9_]([a-z0-9_-]{0,62}))*\\.?");
  private static final Map<String, Integer> RCODES =
      Map.of(
          "success", Rcode.NOERROR,
          "format_error", Rcode.FORMERR,
          "server_failure", Rcode.SERVFAIL,
          "name_error", Rcode.NXDOMAIN,
          "not_implemented", Rcode.NOTIMP,
          "refused", Rcode.REFUSED);

  enum Protocol {
    UDP("udp", 53),
    TCP("tcp", 53),
    TLS("tls", 853),
    HTTPS("https", 443),
    RCODE("rcode", 0),
    /** The host's own resolvers; the host is "system". */
    SYSTEM("system", 53),
    /** The resolvers DHCP offers on the interface that is the host. */
    DHCP("dhcp", 53);

    final String scheme;
    final int defaultPort;

    Protocol(String scheme, int defaultPort) {
      this.scheme = scheme;
      this.defaultPort = defaultPort;
    }
  }

  Nameserver {
    warnings = List.copyOf(warnings);
  }

  /** Whether queries go over TCP (plain). */
  boolean tcp() {
    return protocol == Protocol.TCP;
  }

  /** Whether the host is a name that must be resolved before connecting. */
  boolean needsResolving() {
    return literal == null && protocol != Protocol.RCODE && !discovered();
  }

  /** Whether the servers are found while running ({@code system}, {@code dhcp://IFACE}). */
  boolean discovered() {
    return protocol == Protocol.SYSTEM || protocol == Protocol.DHCP;
  }

  /** The literal address and port; only when {@link #needsResolving} is false. */
  InetSocketAddress address() {
    return new InetSocketAddress(literal, port);
  }

  /** The same server with its connections through {@code outbound} (null: direct). */
  Nameserver through(String outbound) {
    if (discovered()) {
      return this; // the host's own resolvers are on its own networks
    }
    return new Nameserver(protocol, host, literal, port, path, rcode, outbound, warnings);
  }

  /**
   * Parses {@code spec} without any name resolution.
   *
   * @throws IllegalArgumentException with the reason when {@code spec} is not one of {@link
   *     #ACCEPTED}, or names a transport Turnout does not speak (DNS over QUIC or plain HTTP)
   */
  static Nameserver parse(String spec) {
    String s = spec.strip();
    List<String> warnings = new ArrayList<>();
    Nameserver discovered = discovered(s, spec, warnings);
    if (discovered != null) {
      return discovered;
    }
    String fragment = null;
    int hash = s.indexOf('#');
    if (hash >= 0) {
      fragment = s.substring(hash + 1);
      s = s.substring(0, hash);
    }
    Protocol protocol = Protocol.UDP;
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      String name = s.substring(0, scheme).toLowerCase(Locale.ROOT);
      switch (name) {
        case "quic" ->
            throw refused(
                spec, "DNS over QUIC is not supported; use tls:// or https:// to the same server");
        case "http" -> throw refused(spec, "DNS over plain HTTP is not supported; use https://");
        default -> protocol = null;
      }
      for (Protocol p : Protocol.values()) {
        if (p.scheme.equals(name)) {
          protocol = p;
        }
      }
      if (protocol == null) {
        throw invalid(spec);
      }
      s = s.substring(scheme + 3);
    }
    String via = via(protocol, fragment, spec, warnings);
    if (protocol == Protocol.RCODE) {
      Integer rcode = RCODES.get(s.toLowerCase(Locale.ROOT));
      if (rcode == null) {
        throw refused(spec, "rcode:// takes one of " + String.join(", ", RCODES.keySet()));
      }
      return new Nameserver(protocol, s, null, 0, null, rcode, null, warnings);
    }
    String path = null;
    if (protocol == Protocol.HTTPS) {
      int slash = s.indexOf('/');
      path = slash < 0 ? "/dns-query" : s.substring(slash);
      s = slash < 0 ? s : s.substring(0, slash);
      int at = s.lastIndexOf('@');
      if (at >= 0) {
        warnings.add("user information in the URL is ignored");
        s = s.substring(at + 1);
      }
      if (path.indexOf('?') >= 0) {
        path = path.substring(0, path.indexOf('?'));
      }
      if (!path.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
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
    InetAddress literal = IpLiterals.parseOrNull(host);
    if (literal == null) {
      if (!HOST_NAME.matcher(host).matches()
          || host.chars().allMatch(c -> c == '.' || isDigit(c))) {
        throw invalid(spec);
      }
      host = Names.normalize(host);
    } else {
      host = literal.getHostAddress();
    }
    return new Nameserver(protocol, host, literal, port, path, -1, via, warnings);
  }

  /**
   * {@code system}, {@code system://} and {@code dhcp://system} (mihomo's older spelling of it), or
   * {@code dhcp://IFACE}; null for any other entry. A {@code #PROXY} part is ignored: these servers
   * are on the host's own networks.
   */
  private static Nameserver discovered(String s, String spec, List<String> warnings) {
    String lower = s.toLowerCase(Locale.ROOT);
    int hash = s.indexOf('#');
    String head = hash < 0 ? s : s.substring(0, hash);
    String host;
    Protocol protocol;
    if (lower.equals("system") || lower.startsWith("system://") || lower.startsWith("system#")) {
      protocol = Protocol.SYSTEM;
      host = "system";
    } else if (lower.startsWith("dhcp://")) {
      host = head.substring("dhcp://".length());
      if (host.endsWith("/")) {
        host = host.substring(0, host.length() - 1);
      }
      protocol = host.equalsIgnoreCase("system") ? Protocol.SYSTEM : Protocol.DHCP;
      if (protocol == Protocol.SYSTEM) {
        host = "system";
      } else if (!INTERFACE.matcher(host).matches() || host.equals(".") || host.equals("..")) {
        throw refused(spec, "dhcp:// takes an interface name, e.g. dhcp://eth0");
      }
    } else {
      return null;
    }
    if (hash >= 0 && hash < s.length() - 1) {
      warnings.add(
          "'"
              + s.substring(hash)
              + "' is ignored: the servers the host finds are asked directly, not through a proxy");
    }
    return new Nameserver(protocol, host, null, 53, null, -1, null, warnings);
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  /**
   * The outbound after {@code #}: the whole fragment, or for https the parts without {@code =}
   * (mihomo's {@code #PROXY&h3=true}); other parameters are ignored with a warning.
   */
  private static String via(Protocol protocol, String fragment, String spec, List<String> warns) {
    if (fragment == null || fragment.isEmpty()) {
      return null;
    }
    if (protocol == Protocol.RCODE) {
      warns.add("'#" + fragment + "' is ignored: rcode:// sends nothing");
      return null;
    }
    String via = null;
    for (String part : protocol == Protocol.HTTPS ? fragment.split("&") : new String[] {fragment}) {
      if (part.isEmpty()) {
        continue;
      }
      int eq = part.indexOf('=');
      if (eq < 0) {
        via = part;
        continue;
      }
      String key = part.substring(0, eq).toLowerCase(Locale.ROOT);
      String reason =
          switch (key) {
            case "h3" -> "HTTP/3 is not supported; HTTP/2 or HTTP/1.1 over TLS is used";
            case "skip-cert-verify" -> "certificates are always verified";
            default -> "not supported";
          };
      warns.add("parameter '" + part + "' ignored: " + reason);
    }
    if (via != null && via.equalsIgnoreCase("DIRECT")) {
      return null;
    }
    return via;
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

  private static IllegalArgumentException refused(String spec, String why) {
    return new IllegalArgumentException("nameserver '" + spec + "': " + why);
  }

  /** The host as a URL or SNI writes it: IPv6 literals in brackets. */
  String hostForUrl() {
    return host.indexOf(':') >= 0 ? "[" + host + "]" : host;
  }

  @Override
  public String toString() {
    if (protocol == Protocol.RCODE) {
      return "rcode://" + host.toLowerCase(Locale.ROOT);
    }
    if (protocol == Protocol.SYSTEM) {
      return "system";
    }
    if (protocol == Protocol.DHCP) {
      return "dhcp://" + host;
    }
    return protocol.scheme
        + "://"
        + hostForUrl()
        + ":"
        + port
        + (path == null ? "" : path)
        + (via == null ? "" : "#" + via);
  }
}
