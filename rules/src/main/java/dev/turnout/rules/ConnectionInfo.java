package dev.turnout.rules;

import java.net.InetAddress;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What the rules see of one connection. Immutable and safe to share; build one per connection:
 *
 * <pre>{@code
 * ConnectionInfo c = ConnectionInfo.builder(Network.TCP)
 *     .host("www.example.com")          // from the fake-IP pool, SNI, or null
 *     .destination(null, 443)           // never a fake IP: pass null instead
 *     .source(clientIp, 40001)
 *     .process(() -> lookupOwner(40001)) // called only if a PROCESS-* or UID rule is reached
 *     .inbound("Tun", "DEFAULT-TUN", 0) // for IN-TYPE/IN-NAME/IN-PORT, as mihomo names its TUN
 *     .build();
 * }</pre>
 *
 * <p>The host is normalized to lower case without a trailing dot. {@link Builder#target(String)}
 * takes a name or an IP literal, as typed on the {@code explain} command line.
 */
public final class ConnectionInfo {
  private final Network network;
  private final String host;
  private final Ip destination;
  private final int destinationPort;
  private final Ip source;
  private final int sourcePort;
  private final Extras extras; // one field: a decision by the indexes never reads it

  /** The owner lookup and the inbound: what only some rules read. */
  private record Extras(
      Supplier<ProcessInfo> process,
      Supplier<String> sourceMac,
      String type,
      String name,
      int port,
      String user) {
    static final Supplier<ProcessInfo> NO_PROCESS = () -> null;
    static final Supplier<String> NO_MAC = () -> null;
    static final Extras NONE = new Extras(NO_PROCESS, NO_MAC, null, null, 0, null);
  }

  private ConnectionInfo(Builder b) {
    network = b.network;
    host = b.host;
    destination = Ip.of(b.destination);
    destinationPort = b.destinationPort;
    source = Ip.of(b.source);
    sourcePort = b.sourcePort;
    boolean none =
        b.process == Extras.NO_PROCESS
            && b.sourceMac == Extras.NO_MAC
            && b.inboundType == null
            && b.inboundName == null
            && b.inboundPort == 0
            && b.inboundUser == null;
    extras =
        none
            ? Extras.NONE
            : new Extras(
                b.process, b.sourceMac, b.inboundType, b.inboundName, b.inboundPort, b.inboundUser);
  }

  public static Builder builder(Network network) {
    return new Builder(network);
  }

  public Network network() {
    return network;
  }

  /** Destination name, lower case without trailing dot; null if only the IP is known. */
  public String host() {
    return host;
  }

  /** Destination IP if known (never a fake IP); null otherwise. */
  public InetAddress destinationAddress() {
    return destination == null ? null : destination.address;
  }

  public int destinationPort() {
    return destinationPort;
  }

  /** Source IP; null if unknown (SRC-IP-CIDR then does not match). */
  public InetAddress sourceAddress() {
    return source == null ? null : source.address;
  }

  public int sourcePort() {
    return sourcePort;
  }

  /**
   * How the connection reached Turnout, as {@code IN-TYPE} matches it (any case), in mihomo's
   * names: {@code Tun} for captured flows; for local listeners the protocol the client spoke:
   * {@code HTTP} (plain proxy request), {@code HTTPS} (CONNECT), {@code Socks4}, {@code Socks5} (a
   * mixed port too reports the protocol it detected); null if not told.
   */
  public String inboundType() {
    return extras.type;
  }

  /**
   * The inbound's name ({@code IN-NAME}): {@code DEFAULT-TUN} for captured flows, as in mihomo, or
   * a listener's name; null if not told.
   */
  public String inboundName() {
    return extras.name;
  }

  /** The local port the connection arrived on ({@code IN-PORT}); 0 if not told. */
  public int inboundPort() {
    return extras.port;
  }

  /** The user the inbound authenticated ({@code IN-USER}); null for none. */
  public String inboundUser() {
    return extras.user;
  }

  Ip destination() {
    return destination;
  }

  Ip source() {
    return source;
  }

  Supplier<ProcessInfo> process() {
    return extras.process;
  }

  Supplier<String> sourceMac() {
    return extras.sourceMac;
  }

  @Override
  public String toString() {
    String dst = host != null ? host : destination == null ? "?" : destination.toString();
    String src = source == null ? "?" : source.toString();
    return network + " " + src + ":" + sourcePort + " -> " + dst + ":" + destinationPort;
  }

  /** Not thread-safe; one per connection. */
  public static final class Builder {
    private final Network network;
    private String host;
    private InetAddress destination;
    private int destinationPort;
    private InetAddress source;
    private int sourcePort;
    private Supplier<ProcessInfo> process = Extras.NO_PROCESS;
    private Supplier<String> sourceMac = Extras.NO_MAC;
    private String inboundType;
    private String inboundName;
    private int inboundPort;
    private String inboundUser;

    private Builder(Network network) {
      this.network = Objects.requireNonNull(network, "network");
    }

    /** Destination name; normalized; null or empty for none. */
    public Builder host(String host) {
      this.host = Addresses.normalizeHost(host);
      return this;
    }

    /**
     * A host name or an IP literal ({@code 1.2.3.4}, {@code 2001:db8::1}, {@code [2001:db8::1]}):
     * sets the destination address for a literal, the host otherwise. Never does DNS.
     */
    public Builder target(String hostOrIp) {
      InetAddress literal = Addresses.parseLiteral(hostOrIp);
      if (literal != null) {
        destination = literal;
        host = null;
      } else {
        host(hostOrIp);
      }
      return this;
    }

    /** Destination IP (null if unknown or fake) and port. */
    public Builder destination(InetAddress address, int port) {
      checkPort(port);
      destination = address;
      destinationPort = port;
      return this;
    }

    public Builder source(InetAddress address, int port) {
      checkPort(port);
      source = address;
      sourcePort = port;
      return this;
    }

    /**
     * How to find the owning process and user; called at most once per decision and only if a
     * PROCESS-* or UID rule is reached. It may return null when the owner is unknown.
     */
    public Builder process(Supplier<ProcessInfo> lookup) {
      process = Objects.requireNonNull(lookup, "lookup");
      return this;
    }

    /**
     * How to find the source's MAC address (lower case, with colons); called at most once per
     * decision and only if a SRC-MAC rule is reached. It may return null when none is known.
     */
    public Builder sourceMac(Supplier<String> lookup) {
      sourceMac = Objects.requireNonNull(lookup, "lookup");
      return this;
    }

    /**
     * The inbound the connection came through: its type (e.g. {@code Tun}, {@code HTTP}, {@code
     * Socks5}), name (e.g. {@code DEFAULT-TUN}) and local port (0 if none).
     */
    public Builder inbound(String type, String name, int port) {
      checkPort(port);
      inboundType = type;
      inboundName = name;
      inboundPort = port;
      return this;
    }

    /** The user the inbound authenticated, for {@code IN-USER}; null for none. */
    public Builder inboundUser(String user) {
      inboundUser = user;
      return this;
    }

    public ConnectionInfo build() {
      return new ConnectionInfo(this);
    }

    private static void checkPort(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
    }
  }
}
