package dev.turnout.relay;

import dev.turnout.relay.sniff.QuicSniff;
import dev.turnout.relay.sniff.Sniff;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.Locale;

/**
 * Which connections the relay sniffs, and what it does with a name it finds ({@code sniffer:}, as
 * in mihomo). A TCP connection the application made to a literal address (no fake IP, so no name
 * from DNS: DNS over HTTPS in the browser, addresses written in an app), on a port of the TLS or
 * HTTP list, is held until its first bytes name the server (a ClientHello's SNI, an HTTP request's
 * Host; {@link Sniff}) or {@link #TIMEOUT_MILLIS} pass; a UDP flow on a port of the QUIC list
 * likewise, until its first datagrams (at most {@value QuicSniff#MAX_DATAGRAMS}) hold a whole QUIC
 * Initial ClientHello ({@link QuicSniff}). A name found is then what the rules see and what the log
 * and the controller show. With {@code override-destination} (the default) the connection is also
 * dialed by that name, as a fake-IP one would be; without it, to the address the application
 * dialed. A name that {@code skip-domain} lists is not used. Immutable.
 */
public final class Sniffer {
  /** How long a connection waits for its first bytes before it is routed without a name. */
  public static final long TIMEOUT_MILLIS = 300;

  /** Sniffs nothing. */
  public static final Sniffer OFF =
      new Sniffer(List.of(), List.of(), List.of(), false, false, false, List.of());

  /** An inclusive range of ports. */
  public record Ports(int first, int last) {
    public Ports {
      if (first < 1 || last > 65535 || first > last) {
        throw new IllegalArgumentException("not a port range: " + first + "-" + last);
      }
    }

    boolean contains(int port) {
      return port >= first && port <= last;
    }
  }

  /** What sniffing found: a name to use, and whether to dial it. */
  public record Found(String name, boolean override) {}

  /** {@link #look}'s answer while more bytes could still name the server. */
  public static final Found MORE = new Found(null, false);

  private final List<Ports> tls;
  private final List<Ports> http;
  private final List<Ports> quic;
  private final boolean overrideTls;
  private final boolean overrideHttp;
  private final boolean overrideQuic;
  private final List<String> skip;

  /**
   * @param skip names whose connections keep their address: {@code example.com} exactly, {@code
   *     +.example.com} it and its subdomains, {@code *.example.com} its subdomains one label deep
   */
  public Sniffer(
      List<Ports> tls,
      List<Ports> http,
      List<Ports> quic,
      boolean overrideTls,
      boolean overrideHttp,
      boolean overrideQuic,
      List<String> skip) {
    this.tls = List.copyOf(tls);
    this.http = List.copyOf(http);
    this.quic = List.copyOf(quic);
    this.overrideTls = overrideTls;
    this.overrideHttp = overrideHttp;
    this.overrideQuic = overrideQuic;
    this.skip = skip.stream().map(s -> s.toLowerCase(Locale.ROOT)).toList();
  }

  /** Whether any connection is sniffed. */
  public boolean enabled() {
    return !tls.isEmpty() || !http.isEmpty() || !quic.isEmpty();
  }

  /** Whether a TCP connection to a literal address and {@code port} is sniffed. */
  public boolean sniffs(int port) {
    return in(tls, port) || in(http, port);
  }

  /** Whether a UDP flow to a literal address and {@code port} is sniffed (QUIC). */
  public boolean sniffsUdp(int port) {
    return in(quic, port);
  }

  /**
   * Whether {@code origin} is sniffed: to a literal address (no name behind it), not routed on its
   * first packet, on a port sniffed for its protocol.
   */
  public boolean wants(Origin origin) {
    return origin.host() == null
        && origin.realAddress() != null
        && origin.route() == null
        && (origin.udp() ? sniffsUdp(origin.port()) : sniffs(origin.port()));
  }

  /**
   * Offers the next datagram of a UDP flow ({@link #wants} it) to {@code flow}, the QUIC state of
   * that flow.
   *
   * @return as {@link #look}
   */
  public Found lookQuic(QuicSniff flow, ByteBuf datagram) {
    Sniff.Result result = flow.offer(datagram);
    return switch (result.status()) {
      case NAME -> found(result.name(), overrideQuic);
      case MORE -> MORE;
      case NONE -> null;
    };
  }

  /**
   * Looks at the first bytes of a connection to {@code port}.
   *
   * @return {@link #MORE} while more bytes could still name the server, else a {@link Found} for a
   *     usable name, null for none
   */
  public Found look(ByteBuf first, int port) {
    boolean more = false;
    if (in(tls, port)) {
      Sniff.Result result = Sniff.tls(first);
      if (result.status() == Sniff.Status.NAME) {
        return found(result.name(), overrideTls);
      }
      more = result.status() == Sniff.Status.MORE;
    }
    if (in(http, port)) {
      Sniff.Result result = Sniff.http(first);
      if (result.status() == Sniff.Status.NAME) {
        return found(result.name(), overrideHttp);
      }
      more |= result.status() == Sniff.Status.MORE;
    }
    return more ? MORE : null;
  }

  /** {@code origin} as the rules see it once {@code name} was found. */
  public static Origin named(Origin origin, String name) {
    return new Origin(
        origin.udp(),
        origin.source(),
        origin.dialed(),
        name,
        origin.realAddress(),
        null,
        origin.inbound());
  }

  private Found found(String name, boolean override) {
    return skipped(name) ? null : new Found(name, override);
  }

  boolean skipped(String name) {
    for (String pattern : skip) {
      if (pattern.startsWith("+.")
          ? name.equals(pattern.substring(2)) || name.endsWith(pattern.substring(1))
          : pattern.startsWith("*.")
              ? name.endsWith(pattern.substring(1))
                  && name.indexOf('.') == name.length() - pattern.length() + 1
              : name.equals(pattern)) {
        return true;
      }
    }
    return false;
  }

  private static boolean in(List<Ports> ranges, int port) {
    for (Ports range : ranges) {
      if (range.contains(port)) {
        return true;
      }
    }
    return false;
  }
}
